// "This is …" for any stored face (a History row, a face of an unknown group): the face is enrolled as
// that person through enrolment's checks and its recognition corrected (POST /events/:id/correct). A
// refusal an administrator may override (size, blur, pose, resemblance) is shown with its reason and an
// "enrol anyway" that asks once more before it sends `force`.
import { useState } from 'react';
import { ActionDialog } from '../../components/Modal';
import { PersonNameInput } from '../../components/PersonNameInput';
import { useI18n } from '../../i18n';
import { api, ApiError } from '../../lib/api';

export function AssignFace(props: { eventId: number; onAssigned: (name: string) => void }) {
  const { t, tError, tCode } = useI18n();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** A refusal that `force` overrides: the next press, after its confirmation, sends it. */
  const [overridable, setOverridable] = useState(false);

  const send = async (force: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const r = await api.correct(props.eventId, { is: name.trim(), ...(force ? { force } : {}) });
      setOpen(false);
      props.onAssigned(r.person.name);
    } catch (e) {
      const canForce = e instanceof ApiError && e.details['overridable'] === true && !force;
      setOverridable(canForce);
      setError(e instanceof ApiError ? tCode(e.code) : tError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button
        type="button"
        className="small"
        onClick={() => {
          setOpen(true);
          setName('');
          setError(null);
          setOverridable(false);
        }}
        data-testid="assign-face"
      >
        {t('assign.button')}
      </button>
      {open && (
        <ActionDialog
          title={t('assign.title')}
          actionLabel={overridable ? t('assign.force') : t('common.save')}
          danger={overridable}
          onAction={() => void send(overridable)}
          onCancel={() => setOpen(false)}
          disabled={busy || !name.trim()}
          error={error}
        >
          <p className="muted">{t('assign.message')}</p>
          <label className="field">
            <span>{t('enroll.name')}</span>
            <PersonNameInput
              value={name}
              onChange={(v) => {
                setName(v);
                setOverridable(false);
              }}
              autoFocus
              testId="assign-name"
            />
          </label>
          {overridable && <p data-testid="assign-force-confirm">{t('assign.forceConfirm')}</p>}
        </ActionDialog>
      )}
    </>
  );
}
