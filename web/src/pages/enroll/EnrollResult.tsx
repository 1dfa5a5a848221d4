// What enrolment did: accepted samples (with their stored thumbnails) and rejected images with reasons.
import { useI18n } from '../../i18n';
import { api } from '../../lib/api';
import { href } from '../../lib/router';
import type { EnrollReport } from '../../lib/api';

export function EnrollResult({ report }: { report: EnrollReport }) {
  const { t, tCode } = useI18n();
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
              <li key={i}>
                <span className="ellipsis">{r.source}</span>
                <span className="tag unknown">{tCode(r.reason)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
