import { useEffect, useState } from 'react';
import { Icon } from './icons';

interface Toast {
  id: number;
  message: string;
  tone: 'success' | 'danger';
}

let next = 1;
let toasts: Toast[] = [];
const listeners = new Set<(t: Toast[]) => void>();

function publish(list: Toast[]) {
  toasts = list;
  listeners.forEach((l) => l(toasts));
}

/** Shows a short confirmation ("Model created") in the corner; it is read out by screen readers. */
export function toast(message: string, tone: Toast['tone'] = 'success'): void {
  const t = { id: next++, message, tone };
  publish([...toasts, t]);
  window.setTimeout(() => publish(toasts.filter((x) => x.id !== t.id)), 4500);
}

export function Toaster() {
  const [list, setList] = useState(toasts);
  useEffect(() => {
    listeners.add(setList);
    return () => void listeners.delete(setList);
  }, []);
  return (
    <div className="toaster" role="status" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} className={`toast toast-${t.tone}`}>
          <Icon name={t.tone === 'success' ? 'check' : 'alert'} />
          {t.message}
        </div>
      ))}
    </div>
  );
}
