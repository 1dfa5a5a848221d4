// One person: rename, merge into someone else, delete, export their data, forget them (after typing their
// name: it cannot be undone); their samples (remove, move); their events.
import { useState } from 'react';
import { Alert, Spinner } from '../../components/Alert';
import { ChoosePersonDialog } from '../../components/ChoosePersonDialog';
import { ActionDialog, ConfirmDialog } from '../../components/Modal';
import { TextField } from '../../components/TextField';
import { useI18n } from '../../i18n';
import { api, ApiError } from '../../lib/api';
import { useAction, useFetched } from '../../lib/requests';
import { href, navigate } from '../../lib/router';
import { useSession } from '../../lib/session';
import type { Person, Sample } from '../../lib/api';
import { EventsTable } from './EventsView';

type Dialog =
  | { kind: 'rename' }
  | { kind: 'merge' }
  | { kind: 'delete' }
  | { kind: 'forget' }
  | { kind: 'removeSample'; sample: Sample }
  | { kind: 'moveSample'; sample: Sample }
  /** The move was refused by the resemblance check: confirm to move anyway. */
  | { kind: 'moveAnyway'; sample: Sample; to: Person; reason: string }
  | null;

export function PersonDetailView({ id }: { id: number }) {
  const { t, tCode, date } = useI18n();
  const { isAdmin } = useSession();
  const loaded = useFetched(() => api.person(id), [id]);
  const { busy, error, setError, run } = useAction();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [newName, setNewName] = useState('');
  const [typedName, setTypedName] = useState('');
  const person = loaded.value;
  const load = loaded.reload;

  const open = (d: Dialog) => {
    setDialog(d);
    setError(null);
    if (d?.kind === 'rename') setNewName(person?.name ?? '');
    if (d?.kind === 'forget') setTypedName('');
  };

  /** Runs a dialog's action; on success the dialog closes and `after` runs. */
  const act = (action: () => Promise<unknown>, after: () => void) =>
    run(async () => {
      await action();
      setDialog(null);
      after();
    });

  if (loaded.error) return <Alert>{loaded.error}</Alert>;
  if (!person) return <Spinner label={t('common.loading')} />;

  const thumb = person.samples[0];
  return (
    <div className="stack">
      <a className="back-link" href={href('manage', 'people')}>
        ← {t('manage.backToPeople')}
      </a>
      <section className="card person-head">
        {thumb ? (
          <img className="avatar-large" src={api.thumbnailUrl(thumb.id)} alt="" />
        ) : (
          <span className="avatar-large placeholder">{person.name.slice(0, 1)}</span>
        )}
        <div className="person-head-text">
          <h2 data-testid="person-title">{person.name}</h2>
          <p className="muted">
            {t('manage.samplesCount', { n: person.samples.length })} · {t('manage.created')}{' '}
            {date(person.createdAt)} · {t('manage.lastSeen')} {date(person.lastSeenAt)}
          </p>
        </div>
        {isAdmin && (
          <div className="person-actions">
            <button type="button" onClick={() => open({ kind: 'rename' })} data-testid="rename">
              {t('manage.rename')}
            </button>
            <button type="button" onClick={() => open({ kind: 'merge' })} data-testid="merge">
              {t('manage.merge')}
            </button>
            <button
              type="button"
              className="danger"
              onClick={() => open({ kind: 'delete' })}
              data-testid="delete-person"
            >
              {t('common.delete')}
            </button>
            <a className="button" href={api.personExportUrl(id)} download data-testid="export-person">
              {t('manage.exportData')}
            </a>
            <button
              type="button"
              className="danger"
              onClick={() => open({ kind: 'forget' })}
              data-testid="forget-person"
            >
              {t('manage.forget')}
            </button>
          </div>
        )}
      </section>

      <section className="card">
        <h3>
          {t('manage.samples')} <span className="count">{person.samples.length}</span>
        </h3>
        {person.samples.length === 0 ? (
          <p className="muted empty">{t('manage.noSamples')}</p>
        ) : (
          <div className="sample-grid" data-testid="sample-grid">
            {person.samples.map((s) => (
              <figure key={s.id} className="sample-card" data-testid="sample">
                <img src={api.thumbnailUrl(s.id)} alt={s.sourceName ?? ''} loading="lazy" />
                <figcaption>
                  <span className="ellipsis" title={s.sourceName ?? ''}>
                    {s.sourceName?.split(/[\\/]/).pop() ?? '—'}
                  </span>
                  {s.quality && (
                    <small className="muted">
                      {t('quality.size')} {Math.round(s.quality.size)} px · {t('quality.sharpness')}{' '}
                      {Math.round(s.quality.sharpness)}
                    </small>
                  )}
                  {isAdmin && (
                    <span className="row">
                      <button
                        type="button"
                        className="small"
                        onClick={() => open({ kind: 'moveSample', sample: s })}
                        data-testid="move-sample"
                      >
                        {t('manage.move')}
                      </button>
                      <button
                        type="button"
                        className="small danger-text"
                        onClick={() => open({ kind: 'removeSample', sample: s })}
                        data-testid="remove-sample"
                      >
                        {t('manage.remove')}
                      </button>
                    </span>
                  )}
                </figcaption>
              </figure>
            ))}
          </div>
        )}
      </section>

      <section className="card">
        <h3>{t('manage.history')}</h3>
        <EventsTable filter={{ personId: id }} compact />
      </section>

      {dialog?.kind === 'rename' && (
        <ActionDialog
          title={t('manage.renameTitle')}
          actionLabel={t('common.save')}
          onAction={() => void act(() => api.updatePerson(id, { name: newName.trim() }), load)}
          onCancel={() => setDialog(null)}
          disabled={busy || !newName.trim() || newName.trim() === person.name}
          error={error}
        >
          <TextField
            label={t('enroll.name')}
            value={newName}
            onChange={setNewName}
            maxLength={100}
            data-testid="rename-input"
          />
        </ActionDialog>
      )}
      {dialog?.kind === 'merge' && (
        <ChoosePersonDialog
          title={t('manage.mergeTitle')}
          message={t('manage.mergeMessage', { name: person.name })}
          confirmLabel={t('manage.merge')}
          excludeId={id}
          busy={busy}
          error={error}
          onCancel={() => setDialog(null)}
          onChoose={(into) =>
            void act(
              () => api.mergePerson(id, into.id),
              () => navigate('manage', 'people', into.id),
            )
          }
        />
      )}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={t('manage.deleteTitle')}
          message={t('manage.deleteMessage', { name: person.name, n: person.samples.length })}
          confirmLabel={t('common.delete')}
          danger
          busy={busy}
          error={error}
          onCancel={() => setDialog(null)}
          onConfirm={() =>
            void act(
              () => api.deletePerson(id),
              () => navigate('manage', 'people'),
            )
          }
        />
      )}
      {dialog?.kind === 'forget' && (
        <ActionDialog
          title={t('manage.forgetTitle', { name: person.name })}
          actionLabel={t('manage.forgetButton')}
          danger
          onAction={() =>
            void act(
              () => api.forgetPerson(id),
              () => navigate('manage', 'people'),
            )
          }
          onCancel={() => setDialog(null)}
          disabled={busy || typedName.trim() !== person.name}
          error={error}
        >
          <p>{t('manage.forgetMessage', { name: person.name, n: person.samples.length })}</p>
          <TextField
            label={t('manage.forgetConfirm')}
            value={typedName}
            onChange={setTypedName}
            maxLength={100}
            data-testid="forget-confirm-name"
          />
        </ActionDialog>
      )}
      {dialog?.kind === 'removeSample' && (
        <ConfirmDialog
          title={t('manage.removeSampleTitle')}
          message={t('manage.removeSampleMessage', { name: person.name })}
          confirmLabel={t('manage.remove')}
          danger
          busy={busy}
          error={error}
          onCancel={() => setDialog(null)}
          onConfirm={() => void act(() => api.deleteSample(dialog.sample.id), load)}
        />
      )}
      {dialog?.kind === 'moveSample' && (
        <ChoosePersonDialog
          title={t('manage.moveTitle')}
          message={t('manage.moveMessage', { name: person.name })}
          confirmLabel={t('manage.move')}
          excludeId={id}
          busy={busy}
          error={error}
          onCancel={() => setDialog(null)}
          onChoose={(to) =>
            void run(async () => {
              try {
                await api.moveSample(dialog.sample.id, to.id);
              } catch (e) {
                if (!(e instanceof ApiError && e.details['overridable'] === true)) throw e;
                setDialog({ kind: 'moveAnyway', sample: dialog.sample, to, reason: e.code });
                return;
              }
              setDialog(null);
              load();
            })
          }
        />
      )}
      {dialog?.kind === 'moveAnyway' && (
        <ConfirmDialog
          title={t('manage.moveAnywayTitle')}
          message={t('manage.moveAnywayMessage', { reason: tCode(dialog.reason), name: dialog.to.name })}
          confirmLabel={t('enroll.overrideConfirm')}
          danger
          busy={busy}
          error={error}
          onCancel={() => setDialog(null)}
          onConfirm={() => void act(() => api.moveSample(dialog.sample.id, dialog.to.id, true), load)}
        />
      )}
    </div>
  );
}
