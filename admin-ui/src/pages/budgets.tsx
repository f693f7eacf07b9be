import { useState } from 'react';
import { api } from '../api/client';
import type { ApiKey, BudgetUsage, KeyLimits, List, Model, UserLimits } from '../api/types';
import { Dialog } from '../components/Dialog';
import { DialogFooter, Form, str, SubmitButton, TextField } from '../components/form';
import { toast } from '../components/toast';
import { Badge, Button, Card, EmptyState, ErrorBanner, Loading, Mono } from '../components/ui';
import { credits, day } from '../lib/format';
import { useResource } from '../lib/useResource';

/** Spend caps (budgets) of keys and users, with their usage; a key's model allowlist. */

const PERIODS = [
  { value: 'day', label: 'Per day', hint: 'UTC day' },
  { value: 'month', label: 'Per month', hint: 'UTC calendar month' },
  { value: 'lifetime', label: 'Lifetime', hint: 'never resets' },
] as const;
type Period = (typeof PERIODS)[number]['value'];

const periodLabel = (p: Period) => PERIODS.find((x) => x.value === p)!.label;

/** Exact shares of a cap from its microcredit strings, for the bar only. */
function share(part: string, whole: string): number {
  const w = BigInt(whole);
  return w === 0n ? 1 : Math.min(1, Number((BigInt(part) * 1000n) / w) / 1000);
}

/** One cap: what is spent (and reserved by requests in flight) of its limit in the current period. */
function CapRow({ b }: { b: BudgetUsage }) {
  const spent = share(b.spentMicros, b.limitMicros);
  const reserved = share(b.reservedMicros, b.limitMicros);
  const full = BigInt(b.spentMicros) + BigInt(b.reservedMicros) >= BigInt(b.limitMicros);
  return (
    <li className="cap">
      <div className="cap-head">
        <span className="cap-name">
          {periodLabel(b.period)} {b.scope === 'user' && <Badge>user</Badge>} {full && <Badge tone="danger" dot>Reached</Badge>}
        </span>
        <span className="cap-figures">
          <strong>{credits(b.spent)}</strong> of {credits(b.limit)}
        </span>
      </div>
      <div className="cap-bar" role="meter" aria-label={`${periodLabel(b.period)} cap used`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(spent * 100)}>
        <span className={`cap-spent ${full ? 'cap-full' : ''}`} style={{ width: `${spent * 100}%` }} />
        <span className="cap-reserved" style={{ width: `${Math.min(reserved, 1 - spent) * 100}%` }} />
      </div>
      <div className="cap-foot muted">
        {credits(b.remaining)} left{BigInt(b.reservedMicros) > 0n && <> · {credits(b.reserved)} reserved in flight</>}
        {b.resetsAt ? <> · resets {day(b.resetsAt)}</> : <> · lifetime</>}
      </div>
    </li>
  );
}

export function CapList({ budgets, empty }: { budgets: BudgetUsage[]; empty: string }) {
  if (budgets.length === 0) return <p className="muted">{empty}</p>;
  return <ul className="cap-list">{budgets.map((b) => <CapRow key={`${b.scope}-${b.period}`} b={b} />)}</ul>;
}

/** Day / month / lifetime fields; empty removes the cap. */
function CapFields({ current }: { current: BudgetUsage[] }) {
  return (
    <div className="grid-3">
      {PERIODS.map((p) => (
        <TextField
          key={p.value}
          name={`caps.${p.value}`}
          label={p.label}
          suffix="credits"
          inputMode="decimal"
          placeholder="No cap"
          hint={p.hint}
          defaultValue={current.find((b) => b.period === p.value)?.limit.replace(/\.?0+$/, '') ?? ''}
        />
      ))}
    </div>
  );
}

/** The caps of a form, as the admin API takes them: a value sets a cap, an empty field removes it. */
function capsOf(data: FormData): Record<Period, string | null> {
  const caps = {} as Record<Period, string | null>;
  for (const p of PERIODS) caps[p.value] = str(data, `caps.${p.value}`)?.replace(/[,_\s]/g, '') ?? null;
  return caps;
}

/** A user's caps card (user page): they apply to all the user's keys together. */
export function UserCapsCard({ userId }: { userId: string }) {
  const limits = useResource<UserLimits>(`/users/${userId}/limits`, 10_000);
  const [editing, setEditing] = useState(false);
  const budgets = limits.data?.budgets;
  return (
    <Card title="Spend caps" description="Caps on what all this user's keys spend together. Requests past a cap get a 402 naming it." actions={<Button icon="edit" onClick={() => setEditing(true)}>Edit caps</Button>}>
      <ErrorBanner error={limits.error} onRetry={limits.reload} />
      {!budgets && limits.loading && <Loading />}
      {budgets && <CapList budgets={budgets} empty="No caps: this user can spend the account's whole balance." />}
      {editing && budgets && (
        <Dialog open onClose={() => setEditing(false)} title="Spend caps for this user" description="In credits. Leave a field empty for no cap.">
          <Form
            onSubmit={async (data) => {
              await api('PATCH', `/users/${userId}/limits`, { caps: capsOf(data) });
              toast('Caps saved');
              setEditing(false);
              await limits.reload();
            }}
          >
            <div className="dialog-body stack">
              <CapFields current={budgets} />
            </div>
            <DialogFooter onCancel={() => setEditing(false)}>
              <SubmitButton>Save caps</SubmitButton>
            </DialogFooter>
          </Form>
        </Dialog>
      )}
    </Card>
  );
}

/** A key's caps and model allowlist, with the usage of its own caps and its user's. */
export function KeyLimitsDialog({ apiKey, onClose }: { apiKey: ApiKey; onClose: () => void }) {
  const limits = useResource<KeyLimits>(`/keys/${apiKey.id}/limits`);
  const models = useResource<List<Model>>('/models');
  const l = limits.data;
  const [restricted, setRestricted] = useState<boolean | undefined>(undefined);
  const onlySome = restricted ?? (l ? l.allowedModels !== null : false);
  return (
    <Dialog open onClose={onClose} wide title={<>Limits of <Mono>{apiKey.prefix}…</Mono> {apiKey.name}</>} description="Spend caps of this key (its user's caps apply too) and the models it may call.">
      <ErrorBanner error={limits.error ?? models.error} onRetry={limits.reload} />
      {(!l || !models.data) && <Loading />}
      {l && models.data && (
        <Form
          onSubmit={async (data) => {
            const allowedModels = onlySome ? models.data!.data.map((m) => m.alias).filter((a) => data.get(`model:${a}`) === 'on') : null;
            await api('PATCH', `/keys/${apiKey.id}/limits`, { caps: capsOf(data), allowedModels });
            toast('Key limits saved');
            onClose();
          }}
        >
          <div className="dialog-body stack">
            <CapList budgets={l.budgets} empty="No caps on this key or its user." />
            <CapFields current={l.budgets.filter((b) => b.scope === 'key')} />
            <fieldset className="model-allowlist">
              <legend>Models</legend>
              <div className="check">
                <input type="radio" id="models-all" name="models-mode" checked={!onlySome} onChange={() => setRestricted(false)} />
                <label htmlFor="models-all">Every model</label>
              </div>
              <div className="check">
                <input type="radio" id="models-some" name="models-mode" checked={onlySome} onChange={() => setRestricted(true)} />
                <label htmlFor="models-some">Only these models</label>
              </div>
              {onlySome && (
                <div className="model-checks">
                  {models.data.data.length === 0 && <EmptyState icon="alert" title="No models in the catalogue" />}
                  {models.data.data.map((m) => (
                    <div className="check" key={m.alias}>
                      <input type="checkbox" id={`model-${m.alias}`} name={`model:${m.alias}`} defaultChecked={l.allowedModels?.includes(m.alias) ?? false} />
                      <label htmlFor={`model-${m.alias}`}><Mono>{m.alias}</Mono></label>
                    </div>
                  ))}
                </div>
              )}
            </fieldset>
          </div>
          <DialogFooter onCancel={onClose}>
            <SubmitButton>Save limits</SubmitButton>
          </DialogFooter>
        </Form>
      )}
    </Dialog>
  );
}
