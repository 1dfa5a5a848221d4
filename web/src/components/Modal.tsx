// Dialogs: a modal frame (Escape or the backdrop closes it), the dialog of one action with Cancel beside
// it, and the confirmation every destructive action goes through.
import { useEffect, useRef, type ReactNode } from 'react';
import { useI18n } from '../i18n';
import { Alert } from './Alert';

export function Modal({
  title,
  onClose,
  children,
  footer,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    // Focus the first field (or button) so a dialog can be answered from the keyboard.
    ref.current?.querySelector<HTMLElement>('input, select, button.primary, button.danger')?.focus();
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={title} ref={ref}>
        <h2>{title}</h2>
        <div className="modal-body">{children}</div>
        {footer && <div className="modal-footer">{footer}</div>}
      </div>
    </div>
  );
}

/**
 * A dialog answered by Cancel or its one action button (`confirm` to the browser tests), which stays
 * disabled while `disabled` holds; `error` says why the action failed.
 */
export function ActionDialog(props: {
  title: string;
  actionLabel: string;
  onAction: () => void;
  onCancel: () => void;
  disabled?: boolean;
  danger?: boolean;
  error?: string | null;
  children: ReactNode;
}) {
  const { t } = useI18n();
  return (
    <Modal
      title={props.title}
      onClose={props.onCancel}
      footer={
        <>
          <button type="button" onClick={props.onCancel}>
            {t('common.cancel')}
          </button>
          <button
            type="button"
            className={props.danger ? 'danger' : 'primary'}
            disabled={props.disabled}
            onClick={props.onAction}
            data-testid="confirm"
          >
            {props.actionLabel}
          </button>
        </>
      }
    >
      {props.children}
      {props.error && <Alert>{props.error}</Alert>}
    </Modal>
  );
}

export function ConfirmDialog(props: {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <ActionDialog
      title={props.title}
      actionLabel={props.confirmLabel}
      onAction={props.onConfirm}
      onCancel={props.onCancel}
      disabled={props.busy}
      danger={props.danger}
      error={props.error}
    >
      <p>{props.message}</p>
    </ActionDialog>
  );
}
