import { useState } from 'react';
import { api } from '../api/client';
import type { ApiKey, CreatedKey } from '../api/types';
import { ConfirmDialog, Dialog } from '../components/Dialog';
import { DialogFooter, Form, str, SubmitButton, TextField } from '../components/form';
import { Icon } from '../components/icons';
import { toast } from '../components/toast';
import { Badge, Button, Mono } from '../components/ui';

export function keyStatus(k: ApiKey) {
  if (k.revokedAt) return <Badge tone="danger" dot>Revoked</Badge>;
  if (k.expiresAt && new Date(k.expiresAt).getTime() <= Date.now()) return <Badge tone="warning" dot>Expired</Badge>;
  return <Badge tone="success" dot>Active</Badge>;
}

/** Creates an API key; the secret is shown once, with a copy button, and never again. */
export function NewKeyDialog({ userId, email, onClose, onCreated }: { userId: string; email: string; onClose: () => void; onCreated: () => void }) {
  const [created, setCreated] = useState<CreatedKey>();
  const [copied, setCopied] = useState(false);
  if (created) {
    return (
      <Dialog open onClose={onClose} title="Copy the new API key" description={`For ${email}. This is the only time the key is shown: store it somewhere safe now.`}>
        <div className="dialog-body stack">
          <div className="secret-box">
            <label className="sr-only" htmlFor="new-key-secret">New API key</label>
            <input id="new-key-secret" className="input mono" readOnly value={created.key} onFocus={(e) => e.currentTarget.select()} autoFocus />
            <Button
              icon={copied ? 'check' : 'copy'}
              onClick={async () => {
                try {
                  await navigator.clipboard.writeText(created.key);
                  setCopied(true);
                } catch {
                  toast('Copy failed: select the key and copy it by hand.', 'danger');
                }
              }}
            >
              {copied ? 'Copied' : 'Copy'}
            </Button>
          </div>
          <div className="banner banner-warning">
            <Icon name="alert" /> Tollgate stores only a hash of the key. If it is lost, revoke it and create another.
          </div>
        </div>
        <div className="dialog-footer">
          <Button variant="primary" onClick={onClose}>Done</Button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog open onClose={onClose} title="Create an API key" description={`For ${email}. Apps use it as their OpenAI API key against this gateway.`}>
      <Form
        onSubmit={async (data) => {
          const expires = str(data, 'expiresAt');
          const iso = expires && !Number.isNaN(new Date(expires).getTime()) ? new Date(expires).toISOString() : expires;
          setCreated(await api<CreatedKey>('POST', `/users/${userId}/keys`, { name: str(data, 'name'), ...(iso ? { expiresAt: iso } : {}) }));
          onCreated();
        }}
      >
        <div className="dialog-body stack">
          <TextField name="name" label="Name" placeholder="e.g. production, laptop" autoFocus hint="Helps you recognise the key later." />
          <TextField name="expiresAt" label="Expires" type="datetime-local" hint="Empty: never." />
        </div>
        <DialogFooter onCancel={onClose}>
          <SubmitButton>Create key</SubmitButton>
        </DialogFooter>
      </Form>
    </Dialog>
  );
}

export function RevokeKeyDialog({ apiKey, onClose, onRevoked }: { apiKey: ApiKey | undefined; onClose: () => void; onRevoked: () => void }) {
  return (
    <ConfirmDialog
      open={apiKey !== undefined}
      onClose={onClose}
      title="Revoke this API key?"
      confirmLabel="Revoke key"
      onConfirm={async () => {
        await api('DELETE', `/keys/${apiKey!.id}`);
        toast(`Key ${apiKey!.prefix}… revoked`);
        onRevoked();
      }}
    >
      <p>
        <Mono>{apiKey?.prefix}…</Mono> {apiKey?.name && <>({apiKey.name}) </>}stops working on every gateway instance within a second. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}
