import { useEffect, useId, useRef, type ReactNode } from 'react';
import { DialogFooter, Form, SubmitButton } from './form';
import { Icon } from './icons';

/**
 * A modal on the native <dialog>: focus moves into it (first field) and back to where it was,
 * Escape and a click outside close it, the page behind is inert. Children mount only while open, so forms start fresh each time.
 */
export function Dialog({ open, onClose, title, description, children, wide }: { open: boolean; onClose: () => void; title: ReactNode; description?: ReactNode; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const opener = useRef<HTMLElement | null>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      opener.current = document.activeElement as HTMLElement | null;
      d.showModal();
      // The first field, or else the first footer button (Cancel on confirmations), takes focus.
      (d.querySelector<HTMLElement>('.dialog-body :is(input, select, textarea)') ?? d.querySelector<HTMLElement>('.dialog-footer .btn'))?.focus();
    }
    if (!open && d.open) {
      d.close();
      if (opener.current?.isConnected) opener.current.focus();
    }
  }, [open]);
  // Unmounted while open (its owner stopped rendering it): hand focus back all the same.
  useEffect(() => () => void (opener.current?.isConnected && opener.current.focus()), []);
  return (
    <dialog
      ref={ref}
      className={`dialog ${wide ? 'dialog-wide' : ''}`}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onMouseDown={(e) => {
        if (e.target === ref.current) onClose();
      }}
    >
      {open && (
        <div className="dialog-panel">
          <div className="dialog-header">
            <div>
              <h2 id={titleId}>{title}</h2>
              {description && <p className="dialog-description">{description}</p>}
            </div>
            <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
              <Icon name="x" />
            </button>
          </div>
          {children}
        </div>
      )}
    </dialog>
  );
}

/** "Are you sure?" for destructive actions; the action's API error shows inside it. */
export function ConfirmDialog({ open, onClose, title, children, confirmLabel, onConfirm }: { open: boolean; onClose: () => void; title: string; children: ReactNode; confirmLabel: string; onConfirm: () => Promise<unknown> }) {
  return (
    <Dialog open={open} onClose={onClose} title={title}>
      <Form onSubmit={onConfirm}>
        <div className="dialog-body">{children}</div>
        <DialogFooter onCancel={onClose}>
          <SubmitButton variant="danger">{confirmLabel}</SubmitButton>
        </DialogFooter>
      </Form>
    </Dialog>
  );
}
