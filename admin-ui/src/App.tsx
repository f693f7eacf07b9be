import { useEffect, useState, type ReactNode } from 'react';
import { session } from './api/client';
import type { AdminPermission } from './api/types';
import { Icon, type IconName } from './components/icons';
import { Toaster } from './components/toast';
import { Link, match, navigate, usePath } from './lib/router';
import { useMe } from './lib/useSession';
import { AuditPage } from './pages/AuditPage';
import { PlaygroundPage } from './pages/PlaygroundPage';
import { FirstOwnerBanner, ProfilePage, TeamPage, WhoAmI } from './pages/TeamPage';
import { Loading } from './components/ui';
import { AlertsPage } from './pages/AlertsPage';
import { AccountPage, CreditsPage } from './pages/CreditsPage';
import { HealthPage } from './pages/HealthPage';
import { ModelPage } from './pages/ModelPage';
import { ModelsPage } from './pages/ModelsPage';
import { PlansPage } from './pages/PlansPage';
import { RequestsPage } from './pages/RequestsPage';
import { ProvidersPage } from './pages/ProvidersPage';
import { SignIn } from './pages/SignIn';
import { UsagePage } from './pages/UsagePage';
import { UserPage } from './pages/UserPage';
import { UsersPage } from './pages/UsersPage';

const NAV: { section: string; items: { to: string; label: string; icon: IconName; need?: AdminPermission }[] }[] = [
  {
    section: 'Insight',
    items: [
      { to: '/usage', label: 'Usage', icon: 'usage' },
      { to: '/requests', label: 'Requests', icon: 'list' },
      { to: '/health', label: 'Health', icon: 'health' },
    ],
  },
  {
    section: 'Catalogue',
    items: [
      { to: '/providers', label: 'Providers', icon: 'providers' },
      { to: '/models', label: 'Models & prices', icon: 'models' },
      { to: '/plans', label: 'Plans & limits', icon: 'plans' },
    ],
  },
  { section: 'Customers', items: [{ to: '/users', label: 'Users & keys', icon: 'users' }, { to: '/credits', label: 'Credits', icon: 'credits' }, { to: '/alerts', label: 'Alerts', icon: 'alert' }] },
  {
    section: 'Team',
    items: [
      { to: '/playground', label: 'Playground', icon: 'play' },
      { to: '/audit', label: 'Audit log', icon: 'audit' },
      { to: '/team', label: 'Admin accounts', icon: 'team', need: 'team' },
    ],
  },
];

const ROUTES: [string, (p: Record<string, string>) => ReactNode][] = [
  ['/usage', () => <UsagePage />],
  ['/requests', () => <RequestsPage />],
  ['/health', () => <HealthPage />],
  ['/providers', () => <ProvidersPage />],
  ['/models', () => <ModelsPage />],
  ['/models/:alias', (p) => <ModelPage alias={p.alias!} />],
  ['/plans', () => <PlansPage />],
  ['/users', () => <UsersPage />],
  ['/users/keys', () => <UsersPage tab="keys" />],
  ['/users/:id', (p) => <UserPage id={p.id!} />],
  ['/credits', () => <CreditsPage />],
  ['/credits/:id', (p) => <AccountPage id={p.id!} />],
  ['/playground', () => <PlaygroundPage />],
  ['/audit', () => <AuditPage />],
  ['/team', () => <TeamPage />],
  ['/profile', () => <ProfilePage />],
  ['/alerts', () => <AlertsPage />],
];

function Page({ path }: { path: string }) {
  for (const [pattern, render] of ROUTES) {
    const params = match(pattern, path);
    if (params) return <>{render(params)}</>;
  }
  return null;
}

export function App() {
  const me = useMe();
  const path = usePath();
  const [menuOpen, setMenuOpen] = useState(false);
  const known = ROUTES.some(([p]) => match(p, path));

  useEffect(() => {
    if (me === undefined) void session.load();
  }, [me]);
  useEffect(() => {
    if (me && !known) navigate('/usage', true);
  }, [me, known]);
  useEffect(() => setMenuOpen(false), [path]);
  useEffect(() => {
    const item = NAV.flatMap((s) => s.items).find((i) => path === i.to || path.startsWith(`${i.to}/`));
    document.title = item ? `${item.label} · Tollgate admin` : 'Tollgate admin';
  }, [path]);

  if (me === undefined) return <Loading />;
  if (!me) return <SignIn />;
  return (
    <div className={`shell ${menuOpen ? 'menu-open' : ''}`}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden>
            <Icon name="shield" />
          </span>
          <span className="brand-name">Tollgate</span>
          <span className="brand-tag">Admin</span>
          <button type="button" className="icon-btn menu-btn" aria-expanded={menuOpen} aria-controls="nav" aria-label="Menu" onClick={() => setMenuOpen((o) => !o)}>
            <Icon name={menuOpen ? 'x' : 'menu'} />
          </button>
        </div>
        <nav id="nav" aria-label="Main">
          {NAV.map((s) => (
            <div key={s.section} className="nav-section">
              <div className="nav-heading">{s.section}</div>
              {s.items.filter((i) => !i.need || me.permissions.includes(i.need)).map((i) => {
                const current = path === i.to || path.startsWith(`${i.to}/`);
                return (
                  <Link key={i.to} to={i.to} className={`nav-link ${current ? 'active' : ''}`} aria-current={current ? 'page' : undefined}>
                    <Icon name={i.icon} />
                    {i.label}
                  </Link>
                );
              })}
            </div>
          ))}
          <WhoAmI me={me} />
          <button type="button" className="nav-link" onClick={() => void session.signOut()}>
            <Icon name="logout" />
            Sign out
          </button>
        </nav>
      </aside>
      <main id="main" className="main" tabIndex={-1}>
        <FirstOwnerBanner me={me} />
        <Page path={path} />
      </main>
      <Toaster />
    </div>
  );
}
