import { createContext, useContext, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import type { AdminPermission } from '../api/types';
import { useAllowed } from '../lib/useSession';
import { Button } from './ui';

interface FormState {
  errors: Record<string, string>;
  busy: boolean;
  /** The caller's role cannot submit this form: its fields are read-only and its submit button hidden. */
  readOnly: boolean;
}
const FormContext = createContext<FormState>({ errors: {}, busy: false, readOnly: false });

/**
 * A form that submits on Enter and shows the admin API's validation errors next to the field the
 * API names (`error.param`, e.g. "price.inputPerMtok" — fields carry that path as their name);
 * errors about no field on the form show above it.
 */
export function Form({ onSubmit, children, className, need }: { onSubmit: (data: FormData) => Promise<unknown>; children: ReactNode; className?: string; need?: AdminPermission }) {
  const readOnly = !useAllowed(need);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLFormElement>(null);
  const focusField = useRef<string | null>(null);

  useEffect(() => {
    const name = focusField.current;
    if (!name || !ref.current) return;
    focusField.current = null;
    ref.current.querySelector<HTMLElement>(`[data-field="${CSS.escape(name)}"] :is(input, select, textarea, button)`)?.focus();
  }, [errors]);

  return (
    <FormContext.Provider value={{ errors, busy, readOnly }}>
      <form
        ref={ref}
        noValidate
        className={className}
        onSubmit={async (e) => {
          e.preventDefault();
          if (busy || readOnly) return;
          const form = e.currentTarget;
          setBusy(true);
          setErrors({});
          setFormError(undefined);
          try {
            await onSubmit(new FormData(form));
          } catch (err) {
            const message = err instanceof Error ? err.message : String(err);
            const param = err instanceof ApiError ? err.param : null;
            if (param && ref.current?.querySelector(`[data-field="${CSS.escape(param)}"]`)) {
              focusField.current = param;
              setErrors({ [param]: fieldMessage(message, param, new FormData(form).get(param)) });
            } else setFormError(message);
          } finally {
            setBusy(false);
          }
        }}
      >
        {formError && (
          <div className="banner banner-danger form-banner" role="alert">
            {formError}
          </div>
        )}
        {readOnly ? (
          <fieldset disabled className="readonly-fields">
            {children}
          </fieldset>
        ) : (
          children
        )}
      </form>
    </FormContext.Provider>
  );
}

/** What a value of each of the admin API's patterns looks like (src/sdk/admin-api/common.ts). */
const PATTERN_HINTS: [RegExp, string][] = [
  [/\[0-9\]\{1,6\}/, 'Enter a number with up to 6 decimals, e.g. 12.5 (no thousands separators).'],
  [/\^\[a-z0-9\]\[a-z0-9_-\]/, 'Use lowercase letters, digits, - and _, starting with a letter or digit.'],
];

/**
 * The API's message for a field, as shown under it: an empty field is "Required.", a value of the
 * wrong shape says what the right shape is ("'amount' must match pattern …" would mean nothing).
 */
function fieldMessage(message: string, param: string, value: FormDataEntryValue | null): string {
  const rest = message.startsWith(`'${param}' `) ? message.slice(param.length + 3) : message;
  if (/^is required/.test(rest) || (typeof value === 'string' && value.trim() === '' && /^must/.test(rest))) return 'Required.';
  if (/^must match pattern/.test(rest)) return PATTERN_HINTS.find(([re]) => re.test(rest))?.[1] ?? 'This value does not have the expected form.';
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}

export function SubmitButton({ children, variant = 'primary' }: { children: ReactNode; variant?: 'primary' | 'danger' }) {
  const { busy, readOnly } = useContext(FormContext);
  if (readOnly) return null;
  return (
    <Button type="submit" variant={variant} busy={busy}>
      {children}
    </Button>
  );
}

interface FieldControl {
  id: string;
  name: string;
  'aria-invalid': boolean | undefined;
  'aria-describedby': string | undefined;
}

/** A labelled control with its hint and its API error; `children` renders the control. */
export function Field({ name, label, hint, children, className }: { name: string; label: ReactNode; hint?: ReactNode; children: (control: FieldControl) => ReactNode; className?: string }) {
  const { errors } = useContext(FormContext);
  const id = useId();
  const error = errors[name];
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field ${error ? 'field-invalid' : ''} ${className ?? ''}`} data-field={name}>
      <label htmlFor={id}>{label}</label>
      {children({ id, name, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {hint && (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

type InputProps = { name: string; label: ReactNode; hint?: ReactNode; defaultValue?: string | number | null; placeholder?: string; type?: string; autoFocus?: boolean; suffix?: string; className?: string; autoComplete?: string; inputMode?: 'numeric' | 'decimal' | 'email' };

export function TextField({ name, label, hint, defaultValue, suffix, className, ...rest }: InputProps) {
  return (
    <Field name={name} label={label} hint={hint} className={className}>
      {(c) => (
        <div className={suffix ? 'input-group' : undefined}>
          <input className="input" type="text" defaultValue={defaultValue ?? undefined} {...c} {...rest} />
          {suffix && <span className="input-suffix">{suffix}</span>}
        </div>
      )}
    </Field>
  );
}

export function SelectField({ name, label, hint, defaultValue, options, className }: { name: string; label: ReactNode; hint?: ReactNode; defaultValue?: string; options: { value: string; label: string }[]; className?: string }) {
  return (
    <Field name={name} label={label} hint={hint} className={className}>
      {(c) => (
        // Keyed on the options: a default given before the options arrive still applies when they do.
        <select className="input" defaultValue={defaultValue} key={options.map((o) => o.value).join('\n')} {...c}>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function CheckField({ name, label, defaultChecked }: { name: string; label: string; defaultChecked?: boolean }) {
  const id = useId();
  return (
    <div className="check" data-field={name}>
      <input type="checkbox" id={id} name={name} defaultChecked={defaultChecked} />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}

export function DialogFooter({ onCancel, children }: { onCancel: () => void; children: ReactNode }) {
  return (
    <div className="dialog-footer">
      <Button variant="ghost" onClick={onCancel}>
        Cancel
      </Button>
      {children}
    </div>
  );
}

/** FormData helpers: empty fields are left out so the API keeps its defaults. */
export function str(data: FormData, name: string): string | undefined {
  const v = data.get(name);
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** An integer field: a number when it is one, else the text as typed (the API names the field). */
export function int(data: FormData, name: string): number | string | undefined {
  const v = str(data, name)?.replace(/[,_\s]/g, '');
  return v === undefined ? undefined : /^-?\d+$/.test(v) ? Number(v) : v;
}

/** Like int, but an empty field means "no limit" (null). */
export function intOrNull(data: FormData, name: string): number | string | null {
  return int(data, name) ?? null;
}

export function bool(data: FormData, name: string): boolean {
  return data.get(name) === 'on';
}
