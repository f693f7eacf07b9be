import { useState } from 'react';
import { download } from '../api/client';
import { toast } from './toast';
import { Button } from './ui';

/** Downloads an admin API CSV export (streamed by the gateway, however large). */
export function ExportButton({ path, label = 'Export CSV', size }: { path: string; label?: string; size?: 'sm' }) {
  const [busy, setBusy] = useState(false);
  return (
    <Button
      size={size}
      busy={busy}
      icon="download"
      onClick={async () => {
        setBusy(true);
        try {
          await download(path);
        } catch (err) {
          toast((err as Error).message, 'danger');
        } finally {
          setBusy(false);
        }
      }}
    >
      {label}
    </Button>
  );
}
