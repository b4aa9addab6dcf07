import { cloneElement, useEffect, useId, useRef, useState, type ButtonHTMLAttributes, type InputHTMLAttributes, type ReactElement, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import { NavLink } from 'react-router-dom';
import type { ApiError } from '../lib/api';

// A small design system: tokens live in styles.css (CSS variables); these are the only building blocks.

type Variant = 'primary' | 'secondary' | 'danger' | 'ghost';
export function Button({ variant = 'secondary', loading, size, children, className, disabled, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; loading?: boolean; size?: 'sm' }) {
  return (
    <button type="button" className={`btn btn-${variant}${size ? ` btn-${size}` : ''}${className ? ` ${className}` : ''}`} disabled={disabled || loading} aria-busy={loading || undefined} {...rest}>
      {loading && <Spinner small label="" />}
      {children}
    </button>
  );
}

export function Spinner({ label = 'Loading…', small }: { label?: string; small?: boolean }) {
  return (
    <span className={`spinner-wrap${small ? ' small' : ''}`} role={label ? 'status' : undefined}>
      <span className="spinner" aria-hidden="true" />
      {label && <span className="spinner-label">{label}</span>}
    </span>
  );
}

/** A label, the control, a hint and the error (wired with aria-describedby / aria-invalid). */
export function Field({ label, hint, error, children, className }: { label: ReactNode; hint?: ReactNode; error?: string; children: ReactElement<Record<string, unknown>>; className?: string }) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errId = error ? `${id}-err` : undefined;
  const control = cloneElement(children, {
    id,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': [hintId, errId].filter(Boolean).join(' ') || undefined,
  });
  return (
    <div className={`field${error ? ' has-error' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>{label}</label>
      {control}
      {hint && (
        <div className="field-hint" id={hintId}>
          {hint}
        </div>
      )}
      {error && (
        <div className="field-error" id={errId} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

export function Input(props: InputHTMLAttributes<HTMLInputElement>) {
  return <input className="input" {...props} />;
}
export function Select(props: SelectHTMLAttributes<HTMLSelectElement>) {
  return <select className="input" {...props} />;
}
export function Textarea(props: TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return <textarea className="input" {...props} />;
}

export function Card({ title, actions, children, className, ...rest }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string } & Record<`data-${string}`, string>) {
  return (
    <section className={`card${className ? ` ${className}` : ''}`} {...rest}>
      {(title || actions) && (
        <header className="card-head">
          {title && <h2>{title}</h2>}
          {actions && <div className="card-actions">{actions}</div>}
        </header>
      )}
      <div className="card-body">{children}</div>
    </section>
  );
}

/** `numeric`: indexes of right-aligned (number) columns, headers included. */
export function Table({ head, children, caption, numeric = [], ...rest }: { head: ReactNode[]; children: ReactNode; caption?: string; numeric?: number[] } & Record<`data-${string}`, string>) {
  return (
    <div className="table-wrap">
      <table className="table" {...rest}>
        {caption && <caption className="sr-only">{caption}</caption>}
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i} scope="col" className={numeric.includes(i) ? 'num' : undefined}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** Tabs as links (each tab is a URL, so reload and back work). */
export function Tabs({ tabs, label }: { tabs: Array<{ to: string; label: string; end?: boolean }>; label: string }) {
  return (
    <nav className="tabs" aria-label={label}>
      {tabs.map((t) => (
        <NavLink key={t.to} to={t.to} end={t.end} className={({ isActive }) => `tab${isActive ? ' active' : ''}`}>
          {t.label}
        </NavLink>
      ))}
    </nav>
  );
}

export function EmptyState({ title, children, action, icon = '◎' }: { title: string; children?: ReactNode; action?: ReactNode; icon?: string }) {
  return (
    <div className="empty" data-testid="empty-state">
      <div className="empty-icon" aria-hidden="true">
        {icon}
      </div>
      <h3>{title}</h3>
      {children && <p>{children}</p>}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}

/** A message without an "Error:" / "Error 404:" prefix: the banner already says it is an error. */
const withoutErrorPrefix = (text: string) => text.replace(/^\s*error(\s+\d+)?\s*:\s*/i, '');
const sameText = (a: string, b: string) => a.trim().replace(/[.!]+$/, '').toLowerCase() === b.trim().replace(/[.!]+$/, '').toLowerCase();

/**
 * The page's title for what failed (or, without one, the API's message) as the heading, and the API's
 * message below it only when it says something the heading does not.
 */
export function ErrorBanner({ error, onRetry, title }: { error: ApiError | Error | string | undefined; onRetry?: () => void; title?: string }) {
  if (!error) return null;
  const e: Partial<ApiError> & { message?: string } = typeof error === 'string' ? { content: error } : (error as Partial<ApiError> & Error);
  const content = withoutErrorPrefix(e.content ?? e.message ?? '');
  const heading = title ?? (content || 'Something went wrong');
  const detail = content && !sameText(content, heading) ? content : undefined;
  const reason = 'reason' in e && e.reason && e.reason !== 'error' ? e.reason : undefined;
  return (
    <div className="error-banner" role="alert" data-testid="error-banner">
      <span className="error-icon" aria-hidden="true">
        !
      </span>
      <div className="error-text">
        <strong data-testid="error-title">
          {heading}
          {!detail && reason ? <code className="reason">{reason}</code> : null}
        </strong>
        {detail && (
          <span>
            {detail}
            {reason ? <code className="reason">{reason}</code> : null}
          </span>
        )}
      </div>
      {onRetry && (
        <Button size="sm" onClick={onRetry}>
          Retry
        </Button>
      )}
    </div>
  );
}

export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.append(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
}

/** Copies `value`; the last copied value is kept on <body data-copied> (what tests and screen readers get told). */
export function CopyButton({ value, label = 'Copy', size = 'sm' }: { value: string; label?: string; size?: 'sm' }) {
  const [done, setDone] = useState(false);
  useEffect(() => {
    if (!done) return;
    const t = setTimeout(() => setDone(false), 1500);
    return () => clearTimeout(t);
  }, [done]);
  return (
    <Button
      size={size}
      variant="ghost"
      className="copy"
      aria-label={`${label}${done ? ' (copied)' : ''}`}
      onClick={async () => {
        await copyText(value);
        document.body.dataset.copied = value;
        setDone(true);
      }}
    >
      {done ? <CheckIcon /> : <CopyIcon />} {done ? 'Copied' : 'Copy'}
      <span className="sr-only" aria-live="polite">
        {done ? 'Copied to the clipboard' : ''}
      </span>
    </Button>
  );
}

/** Modal on <dialog>: focus is trapped by the browser, Escape closes, focus returns to the opener. */
export function Dialog({ open, title, onClose, children, footer, ...rest }: { open: boolean; title: string; onClose: () => void; children: ReactNode; footer?: ReactNode } & Record<`data-${string}`, string>) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      const opener = document.activeElement as HTMLElement | null;
      d.showModal();
      // <dialog> focuses its first focusable element (the × button); prefer the field or action marked data-autofocus.
      d.querySelector<HTMLElement>('[data-autofocus]')?.focus();
      return () => {
        if (d.open) d.close();
        opener?.focus?.();
      };
    }
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        if (e.target === ref.current) onClose();
      }}
      {...rest}
    >
      {open && (
        <div className="dialog-inner">
          <header className="dialog-head">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
              ×
            </button>
          </header>
          <div className="dialog-body">{children}</div>
          {footer && <footer className="dialog-foot">{footer}</footer>}
        </div>
      )}
    </dialog>
  );
}

/** A question before a destructive action: Cancel, and the action in the danger style. */
export function ConfirmDialog({ open, title, action, onCancel, onConfirm, busy, children }: { open: boolean; title: string; action: string; onCancel: () => void; onConfirm: () => void; busy?: boolean; children: ReactNode }) {
  return (
    <Dialog
      open={open}
      title={title}
      onClose={onCancel}
      footer={
        <>
          <Button onClick={onCancel}>Cancel</Button>
          <Button variant="danger" onClick={onConfirm} loading={busy}>
            {action}
          </Button>
        </>
      }
    >
      {children}
    </Dialog>
  );
}

export function Badge({ tone = 'neutral', children }: { tone?: 'neutral' | 'green' | 'amber' | 'red' | 'blue'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function Code({ children, copy, label }: { children: string; copy?: boolean; label?: string }) {
  return (
    <div className="code">
      {(label || copy) && (
        <div className="code-head">
          <span>{label}</span>
          {copy && <CopyButton value={children} label={`Copy ${label ?? 'code'}`} />}
        </div>
      )}
      <pre tabIndex={0}>
        <code>{children}</code>
      </pre>
    </div>
  );
}

/** A secret-looking value in monospace with its copy button. */
export function KeyValue({ value, label }: { value: string; label: string }) {
  return (
    <span className="keyvalue">
      <code data-testid={`key-${label.toLowerCase().replace(/\s+/g, '-')}`}>{value}</code>
      <CopyButton value={value} label={`Copy ${label}`} />
    </span>
  );
}

export function Stat({ label, value, sub, ...rest }: { label: string; value: ReactNode; sub?: ReactNode } & Record<`data-${string}`, string>) {
  return (
    <div className="stat" {...rest}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {sub && <div className="stat-sub">{sub}</div>}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading">
      <Spinner label={label} />
    </div>
  );
}

/** After a failed client-side validation: focus the first field marked invalid (once React rendered it). */
export function focusFirstInvalid(form: HTMLFormElement | null): void {
  requestAnimationFrame(() => form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
}

const CopyIcon = () => (
  <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="1.5">
    <rect x="5.5" y="5.5" width="8" height="8" rx="1.5" />
    <path d="M10.5 3.5v-.5A1.5 1.5 0 0 0 9 1.5H3A1.5 1.5 0 0 0 1.5 3v6A1.5 1.5 0 0 0 3 10.5h.5" />
  </svg>
);
const CheckIcon = () => (
  <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="2">
    <path d="M3 8.5l3 3 7-7" />
  </svg>
);
