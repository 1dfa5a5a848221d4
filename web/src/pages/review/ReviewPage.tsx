// Review (待命名): faces nobody has named yet, grouped by likeness on the server (service/unknowns/).
// The list shows each "Unknown #N" with its cover face and a strip of others; a group's page shows every
// face, and an administrator names the group (its faces enrolled through the normal checks, each refusal
// with its reason, and an override after confirming), merges it into another, splits a wrong face off,
// or dismisses it.
import { useState } from 'react';
import { Alert, Spinner } from '../../components/Alert';
import { ActionDialog, ConfirmDialog } from '../../components/Modal';
import { ModePage } from '../../components/ModePage';
import { PersonNameInput } from '../../components/PersonNameInput';
import { useI18n } from '../../i18n';
import { api, type UnknownCluster, type UnknownNameReport } from '../../lib/api';
import { useAction, useFetched } from '../../lib/requests';
import { href, navigate } from '../../lib/router';
import { useSession } from '../../lib/session';
import { AssignFace } from './AssignFace';

export function ReviewPage({ route }: { route: string[] }) {
  const { t } = useI18n();
  const id = route[0] ? Number(route[0]) : null;
  return (
    <ModePage title={t('review.title')} subtitle={t('review.subtitle')}>
      {id !== null && Number.isInteger(id) ? <ClusterView key={id} id={id} /> : <ClusterList />}
    </ModePage>
  );
}

/** "Unknown #N", or a plain group label while it is too small to have a number. */
function useClusterLabel(): (c: Pick<UnknownCluster, 'id' | 'number'>) => string {
  const { t } = useI18n();
  return (c) =>
    c.number === null ? t('review.smallCluster', { id: c.id }) : t('review.cluster', { n: c.number });
}

function ClusterList() {
  const { t } = useI18n();
  const { isAdmin } = useSession();
  const label = useClusterLabel();
  const [all, setAll] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const { value, error, reload } = useFetched(() => api.unknowns(all), [all]);
  const regroup = useAction();
  return (
    <div className="stack">
      <div className="toolbar">
        <label className="check">
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} />
          <span>{t('review.showAll')}</span>
        </label>
        {isAdmin && (
          <button
            type="button"
            disabled={regroup.busy}
            onClick={() =>
              void regroup.run(async () => {
                const r = await api.recluster();
                setNotice(t('review.reclustered', { faces: r.faces, clusters: r.clusters }));
                reload();
              })
            }
            data-testid="recluster"
          >
            {t('review.recluster')}
          </button>
        )}
        {notice && <small className="ok-text">{notice}</small>}
      </div>
      {(error ?? regroup.error) && <Alert>{error ?? regroup.error}</Alert>}
      {!value ? (
        <Spinner label={t('common.loading')} />
      ) : value.items.length === 0 ? (
        <div className="card empty-state">
          <p data-testid="review-empty">{t('review.empty')}</p>
        </div>
      ) : (
        <div className="people-grid" data-testid="cluster-grid">
          {value.items.map((c) => (
            <a key={c.id} className="person-card" href={href('review', c.id)} data-testid="cluster-card">
              {c.coverEventId !== null ? (
                <img src={api.eventSnapshotUrl(c.coverEventId)} alt="" loading="lazy" />
              ) : (
                <span className="thumb-placeholder" aria-hidden="true">
                  ?
                </span>
              )}
              <span className="person-meta">
                <strong className="ellipsis" data-testid="cluster-label">
                  {label(c)}
                </strong>
                <small className="muted">
                  {t('review.faces', { n: c.faces })} · {t(`review.status.${c.status}`)}
                  {c.person ? ` · ${c.person.name}` : ''}
                </small>
                <span className="thumb-row cluster-strip">
                  {c.previewEventIds.slice(1, 5).map((e) => (
                    <img key={e} className="snap" src={api.eventSnapshotUrl(e)} alt="" loading="lazy" />
                  ))}
                </span>
              </span>
            </a>
          ))}
        </div>
      )}
    </div>
  );
}

type Dialog = 'name' | 'merge' | 'dismiss' | 'force' | null;

function ClusterView({ id }: { id: number }) {
  const { t, tCode, date } = useI18n();
  const { isAdmin, capabilities } = useSession();
  const label = useClusterLabel();
  const { value, error, reload } = useFetched(() => api.unknown(id), [id]);
  const others = useFetched(() => api.unknowns(), [id]);
  const action = useAction();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [name, setName] = useState('');
  const [target, setTarget] = useState('');
  const [report, setReport] = useState<UnknownNameReport | null>(null);

  if (error) return <Alert>{error}</Alert>;
  if (!value) return <Spinner label={t('common.loading')} />;
  const { cluster, members } = value;
  const open = cluster.status === 'open' || cluster.status === 'dismissed';
  const overridable = report?.rejected.filter((r) => r.overridable) ?? [];

  const nameIt = (force: boolean) =>
    action.run(async () => {
      const r = await api.nameUnknown(id, (report?.person?.name ?? name).trim(), force);
      setReport(r);
      setDialog(null);
      reload();
    });

  return (
    <div className="stack">
      <a href={href('review')} className="muted">
        ← {t('review.back')}
      </a>
      <section className="card">
        <div className="card-head">
          <h2 data-testid="cluster-title">
            {label(cluster)} <span className="count">{cluster.faces}</span>
          </h2>
          <span className="muted">{t(`review.status.${cluster.status}`)}</span>
        </div>
        {isAdmin && open && (
          <div className="toolbar">
            {members.length > 0 && (
              <button
                type="button"
                className="primary"
                onClick={() => {
                  setName('');
                  setDialog('name');
                }}
                data-testid="name-cluster"
              >
                {t('review.name')}
              </button>
            )}
            <button type="button" onClick={() => setDialog('merge')} data-testid="merge-cluster">
              {t('review.merge')}
            </button>
            {cluster.status === 'open' ? (
              <button
                type="button"
                className="ghost"
                onClick={() => setDialog('dismiss')}
                data-testid="dismiss-cluster"
              >
                {t('review.dismiss')}
              </button>
            ) : (
              <button
                type="button"
                onClick={() => void action.run(async () => (await api.restoreUnknown(id), reload()))}
                data-testid="restore-cluster"
              >
                {t('review.restore')}
              </button>
            )}
          </div>
        )}
        {action.error && !dialog && <Alert>{action.error}</Alert>}
        {report && (
          <div className="enroll-report" data-testid="name-report">
            {report.accepted.length > 0 && report.person && (
              <p className="ok-text">
                {t('review.namedAs', { n: report.accepted.length, name: report.person.name })}{' '}
                <a href={href('manage', 'people', report.person.id)}>{report.person.name}</a>
              </p>
            )}
            {report.rejected.length > 0 && (
              <>
                <p>{t('review.refused', { n: report.rejected.length })}</p>
                <ul className="rejected-list" data-testid="name-rejected">
                  {report.rejected.map((r) => (
                    <li key={r.eventId}>
                      <img className="snap" src={api.eventSnapshotUrl(r.eventId)} alt="" />
                      <span>{tCode(r.reason)}</span>
                    </li>
                  ))}
                </ul>
                {isAdmin && overridable.length > 0 && (
                  <div className="toolbar">
                    <button
                      type="button"
                      className="danger"
                      onClick={() => setDialog('force')}
                      data-testid="force-name"
                    >
                      {t('review.forceAll')}
                    </button>
                  </div>
                )}
              </>
            )}
          </div>
        )}
        <div className="sample-grid" data-testid="cluster-faces">
          {members.map((m) => (
            <figure key={m.eventId} className="sample-card" data-testid="cluster-face">
              {m.hasSnapshot ? <img src={api.eventSnapshotUrl(m.eventId)} alt="" loading="lazy" /> : null}
              <figcaption>
                <span className="ellipsis" title={m.source}>
                  {m.source}
                </span>
                <small className="muted">{date(m.time)}</small>
                {isAdmin && open && (
                  <span className="thumb-row">
                    {members.length > 1 && (
                      <button
                        type="button"
                        className="small ghost"
                        onClick={() =>
                          void action.run(async () => (await api.splitUnknown(id, m.eventId), reload()))
                        }
                        data-testid="split-face"
                      >
                        {t('review.split')}
                      </button>
                    )}
                    {capabilities.correct && m.hasSnapshot && (
                      <AssignFace eventId={m.eventId} onAssigned={() => reload()} />
                    )}
                  </span>
                )}
              </figcaption>
            </figure>
          ))}
        </div>
      </section>

      {dialog === 'name' && (
        <ActionDialog
          title={t('review.nameTitle')}
          actionLabel={t('common.save')}
          onAction={() => {
            setReport(null);
            void nameIt(false);
          }}
          onCancel={() => setDialog(null)}
          disabled={action.busy || !name.trim()}
          error={action.error}
        >
          <p className="muted">{t('review.nameMessage')}</p>
          <label className="field">
            <span>{t('enroll.name')}</span>
            <PersonNameInput value={name} onChange={setName} autoFocus testId="cluster-name-input" />
          </label>
        </ActionDialog>
      )}
      {dialog === 'force' && (
        <ConfirmDialog
          title={t('review.forceAll')}
          message={t('review.forceConfirm')}
          confirmLabel={t('review.forceAll')}
          danger
          busy={action.busy}
          error={action.error}
          onConfirm={() => void nameIt(true)}
          onCancel={() => setDialog(null)}
        />
      )}
      {dialog === 'merge' && (
        <ActionDialog
          title={t('review.mergeTitle')}
          actionLabel={t('review.merge')}
          onAction={() =>
            void action.run(async () => {
              const into = await api.mergeUnknown(id, Number(target));
              setDialog(null);
              navigate('review', into.id);
            })
          }
          onCancel={() => setDialog(null)}
          disabled={action.busy || !target}
          error={action.error}
        >
          <p>{t('review.mergeMessage')}</p>
          <label className="field">
            <span>{t('review.mergeTarget')}</span>
            <select value={target} onChange={(e) => setTarget(e.target.value)} data-testid="merge-target">
              <option value="" />
              {(others.value?.items ?? [])
                .filter((c) => c.id !== id)
                .map((c) => (
                  <option key={c.id} value={c.id}>
                    {label(c)} ({t('review.faces', { n: c.faces })})
                  </option>
                ))}
            </select>
          </label>
        </ActionDialog>
      )}
      {dialog === 'dismiss' && (
        <ConfirmDialog
          title={t('review.dismissTitle')}
          message={t('review.dismissMessage')}
          confirmLabel={t('review.dismiss')}
          busy={action.busy}
          error={action.error}
          onConfirm={() =>
            void action.run(async () => {
              await api.dismissUnknown(id);
              setDialog(null);
              navigate('review');
            })
          }
          onCancel={() => setDialog(null)}
        />
      )}
    </div>
  );
}
