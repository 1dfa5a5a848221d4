import type { ReactNode } from 'react';

export function Alert({
  kind = 'error',
  children,
  onClose,
}: {
  kind?: 'error' | 'success' | 'info';
  children: ReactNode;
  onClose?: () => void;
}) {
  return (
    <div className={`alert ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      <span>{children}</span>
      {onClose && (
        <button type="button" className="icon-button" onClick={onClose} aria-label="×">
          ×
        </button>
      )}
    </div>
  );
}

export function Spinner({ label }: { label?: string }) {
  return (
    <span className="spinner-wrap" role="status">
      <span className="spinner" aria-hidden="true" />
      {label && <span>{label}</span>}
    </span>
  );
}
