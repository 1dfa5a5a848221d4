// What enrolment did: accepted samples (with their stored thumbnails) and rejected images with reasons.
// A refusal that is a judgement call (size, blur, pose, resemblance) can be overridden by an admin after
// confirming (the server records it in the audit log); a face that looks like someone else says who,
// and can be added to that person instead.
import { useState } from 'react';
import { ActionDialog } from '../../components/Modal';
import { useI18n } from '../../i18n';
import { api } from '../../lib/api';
import { href } from '../../lib/router';
import type { EnrollReport } from '../../lib/api';

type Rejected = EnrollReport['rejected'][number];

export function EnrollResult({
  report,
  name,
  onOverride,
  onAddTo,
  busy,
}: {
  report: EnrollReport;
  /** The name the photos were enrolled under. */
  name: string;
  /** Enrol these refused images anyway (force). */
  onOverride?: (sources: string[]) => void;
  /** Enrol this image into the person it looks like instead. */
  onAddTo?: (source: string, name: string) => void;
  busy?: boolean;
}) {
  const { t, tCode } = useI18n();
  const [confirming, setConfirming] = useState<Rejected[] | null>(null);
  const overridable = report.rejected.filter((r) => r.overridable);
  return (
    <div className="enroll-report" data-testid="enroll-report">
      {report.person && report.accepted.length > 0 && (
        <p className="alert success">
          {t(report.created ? 'enroll.doneNew' : 'enroll.doneExisting', {
            n: report.accepted.length,
            name: report.person.name,
          })}{' '}
          <a href={href('manage', 'people', report.person.id)}>{t('enroll.openPerson')}</a>
        </p>
      )}
      {report.accepted.length > 0 && (
        <div className="thumb-row" data-testid="enroll-accepted">
          {report.accepted.map((a) => (
            <img
              key={a.sampleId}
              src={api.thumbnailUrl(a.sampleId)}
              alt={a.source}
              className="thumb"
              title={a.lowQuality ? t('enroll.lowQuality') : undefined}
            />
          ))}
        </div>
      )}
      {report.person &&
        report.lookalikes.map((l) => (
          <p key={l.personId} className="alert info" data-testid="enroll-lookalike">
            {t('enroll.lookalike', {
              name: report.person!.name,
              other: l.name,
              evidence: l.evidence.toFixed(2),
              threshold: l.threshold.toFixed(2),
            })}{' '}
            <a href={href('manage', 'people', l.personId)}>{t('enroll.openPerson')}</a>
          </p>
        ))}
      {report.rejected.length > 0 && (
        <>
          <h4>{t('enroll.rejected', { n: report.rejected.length })}</h4>
          <ul className="rejected-list" data-testid="enroll-rejected">
            {report.rejected.map((r, i) => (
              <li key={i} data-reason={r.reason}>
                <span className="ellipsis">{r.source}</span>
                <span className="tag unknown">
                  {r.reason === 'looks_like_other_person' && r.lookalike
                    ? t('enroll.looksLike', { name: r.lookalike.name })
                    : tCode(r.reason)}
                </span>
                {r.message && (
                  <small className="muted reject-detail" title={r.message}>
                    {r.message}
                  </small>
                )}
                {r.lookalike && onAddTo && (
                  <button
                    type="button"
                    className="small"
                    disabled={busy}
                    onClick={() => onAddTo(r.source, r.lookalike!.name)}
                    data-testid="enroll-add-to"
                  >
                    {t('enroll.addTo', { name: r.lookalike.name })}
                  </button>
                )}
              </li>
            ))}
          </ul>
          {overridable.length > 0 && onOverride && (
            <div className="enroll-override">
              <small className="muted">{t('enroll.overrideHint')}</small>
              <button
                type="button"
                className="small"
                disabled={busy}
                onClick={() => setConfirming(overridable)}
                data-testid="enroll-override"
              >
                {t('enroll.override', { n: overridable.length })}
              </button>
            </div>
          )}
        </>
      )}
      {confirming && (
        <ActionDialog
          title={t('enroll.overrideTitle')}
          actionLabel={t('enroll.overrideConfirm')}
          danger
          disabled={busy}
          onCancel={() => setConfirming(null)}
          onAction={() => {
            onOverride?.(confirming.map((r) => r.source));
            setConfirming(null);
          }}
        >
          <p>{t('enroll.overrideMessage', { name })}</p>
          <ul className="rejected-list" data-testid="override-reasons">
            {confirming.map((r) => (
              <li key={r.source}>
                <span className="ellipsis">{r.source}</span>
                <span className="tag unknown">{tCode(r.reason)}</span>
              </li>
            ))}
          </ul>
        </ActionDialog>
      )}
    </div>
  );
}
