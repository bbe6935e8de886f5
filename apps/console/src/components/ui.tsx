import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** An API error as the problem document says it: title, detail, the stable code, field errors. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const p = error instanceof ApiError ? error.problem : null;
  return (
    <div className="error" role="alert">
      <strong>{p?.title ?? 'Something went wrong'}</strong>
      {p?.detail && <span> — {p.detail}</span>}
      {!p && <span> — {String((error as Error).message ?? error)}</span>}
      {p?.code && <code className="code">{p.code}</code>}
      {p?.errors?.length ? (
        <ul>
          {p.errors.map((e) => (
            <li key={e.path + e.message}>
              {e.path}: {e.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function Field({
  label,
  hint,
  children,
}: {
  label: string;
  hint?: string;
  children: (id: string, describedBy?: string) => ReactNode;
}) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id, hintId)}
      {hint && (
        <small id={hintId} className="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

/** A form whose submit handler is async: the button is disabled while it runs, errors shown. */
export function AsyncForm({
  onSubmit,
  submit,
  children,
  label,
  className,
}: {
  onSubmit: () => Promise<void>;
  submit: string;
  children: ReactNode;
  label: string;
  className?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      aria-label={label}
      className={className ?? 'form'}
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        onSubmit()
          .catch(setError)
          .finally(() => setBusy(false));
      }}
    >
      {children}
      <ErrorBox error={error} />
      <button type="submit" disabled={busy}>
        {busy ? 'Working…' : submit}
      </button>
    </form>
  );
}

/** A button that runs an async action and shows its error beside it. */
export function ActionButton({
  onClick,
  children,
  className,
}: {
  onClick: () => Promise<void>;
  children: ReactNode;
  className?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <span className="action">
      <button
        type="button"
        className={className}
        disabled={busy}
        onClick={() => {
          setBusy(true);
          setError(null);
          onClick()
            .catch(setError)
            .finally(() => setBusy(false));
        }}
      >
        {children}
      </button>
      <ErrorBox error={error} />
    </span>
  );
}

/** A confirmation in a modal <dialog>: names the consequence, focuses Cancel first. */
export function Confirm({
  trigger,
  title,
  consequence,
  confirm,
  onConfirm,
  danger = true,
}: {
  trigger: ReactNode;
  title: string;
  consequence: ReactNode;
  confirm: string;
  onConfirm: () => Promise<void>;
  danger?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  return (
    <>
      <button type="button" className={danger ? 'danger' : undefined} onClick={() => ref.current?.showModal()}>
        {trigger}
      </button>
      <dialog ref={ref} aria-labelledby={titleId} className="dialog">
        <h2 id={titleId}>{title}</h2>
        <div className="consequence">{consequence}</div>
        <ErrorBox error={error} />
        <div className="row">
          <button type="button" autoFocus onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button
            type="button"
            className={danger ? 'danger' : undefined}
            disabled={busy}
            onClick={() => {
              setBusy(true);
              setError(null);
              onConfirm()
                .then(() => ref.current?.close())
                .catch(setError)
                .finally(() => setBusy(false));
            }}
          >
            {confirm}
          </button>
        </div>
      </dialog>
    </>
  );
}

export function CopyButton({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(t);
  }, [copied]);
  return (
    <button
      type="button"
      aria-label={label}
      onClick={() => {
        void navigator.clipboard?.writeText(value).then(
          () => setCopied(true),
          () => setCopied(false),
        );
      }}
    >
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}

/** A value shown exactly once, with a copy button and the warning that it will not be shown again. */
export function ShownOnce({ label, value }: { label: string; value: string }) {
  return (
    <div className="once" role="region" aria-label={label}>
      <p>
        <strong>{label}</strong> — shown once. Copy it now; Gatehouse keeps only a hash.
      </p>
      <div className="row">
        <code className="secret" data-testid="shown-once">
          {value}
        </code>
        <CopyButton value={value} label={`Copy ${label}`} />
      </div>
    </div>
  );
}

export function Pager({ hasMore, loadMore, loading }: { hasMore: boolean; loadMore: () => void; loading: boolean }) {
  if (!hasMore) return null;
  return (
    <button type="button" className="more" onClick={loadMore} disabled={loading}>
      Load more
    </button>
  );
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');
