import { useEffect, useState } from 'react';
import { api, ApiError, session } from '../api/client';
import type { AdminSetup } from '../api/types';
import { CheckField, Form, SubmitButton, TextField } from '../components/form';
import { Icon } from '../components/icons';
import { Loading } from '../components/ui';

function AccountForm() {
  return (
    <Form
      className="stack"
      onSubmit={async (data) => {
        const email = String(data.get('email') ?? '').trim();
        const password = String(data.get('password') ?? '');
        if (!email) throw new ApiError(400, 'Enter your email.', 'email', null);
        if (!password) throw new ApiError(400, 'Enter your password.', 'password', null);
        try {
          await session.signIn(email, password);
        } catch (err) {
          if (err instanceof ApiError && err.status === 401) throw new ApiError(401, err.message, 'password', err.code);
          throw err;
        }
      }}
    >
      <TextField name="email" label="Email" type="email" autoComplete="username" autoFocus inputMode="email" placeholder="you@example.com" />
      <TextField name="password" label="Password" type="password" autoComplete="current-password" />
      <SubmitButton>Sign in</SubmitButton>
    </Form>
  );
}

function TokenForm() {
  return (
    <Form
      className="stack"
      onSubmit={async (data) => {
        const token = String(data.get('token') ?? '').trim();
        if (!token) throw new ApiError(400, 'Enter the admin token.', 'token', null);
        try {
          await session.signInWithToken(token, data.get('remember') === 'on');
        } catch (err) {
          if (err instanceof ApiError && err.status === 401) throw new ApiError(401, 'That token was not accepted. Check it and try again.', 'token', null);
          throw err;
        }
      }}
    >
      <TextField name="token" label="Admin token" type="password" autoComplete="current-password" autoFocus placeholder="Paste your admin token" />
      <CheckField name="remember" label="Keep me signed in on this device" />
      <SubmitButton>Sign in</SubmitButton>
    </Form>
  );
}

/**
 * Sign-in with an admin account (email and password), or with the admin token. Before the first
 * account exists the token is the only way in, so the token form is shown first.
 */
export function SignIn() {
  const [setup, setSetup] = useState<AdminSetup>();
  const [withToken, setWithToken] = useState(false);
  useEffect(() => {
    api<AdminSetup>('GET', '/session/setup').then(setSetup, () => setSetup({ hasAccounts: true }));
  }, []);
  const tokenMode = withToken || setup?.hasAccounts === false;
  return (
    <div className="signin">
      <div className="signin-card">
        <div className="signin-brand">
          <span className="brand-mark" aria-hidden>
            <Icon name="shield" />
          </span>
          <span className="brand-name">Tollgate</span>
        </div>
        <h1>Sign in to the admin panel</h1>
        {!setup ? (
          <Loading />
        ) : tokenMode ? (
          <>
            <p className="muted">
              {setup.hasAccounts
                ? "Use the gateway's admin token. It acts as an owner; keep it for automation and emergencies."
                : "No admin accounts yet: use the gateway's admin token (printed when the gateway first started, or set as ADMIN_TOKEN), then create the first owner account."}
            </p>
            <TokenForm />
            {setup.hasAccounts && (
              <button type="button" className="link-btn signin-switch" onClick={() => setWithToken(false)}>
                Sign in with email and password
              </button>
            )}
          </>
        ) : (
          <>
            <p className="muted">Use your admin account.</p>
            <AccountForm />
            <button type="button" className="link-btn signin-switch" onClick={() => setWithToken(true)}>
              Use the admin token instead
            </button>
          </>
        )}
      </div>
      <p className="signin-foot">Every action here goes through the documented admin API at /admin/api.</p>
    </div>
  );
}
