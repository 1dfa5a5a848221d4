// The results table of Recognize (photos, videos and the camera): the face's number (as on its box) and
// picture, source, time or frame, name (or who was nearest), score, box; exported as CSV as shown.
import { useI18n } from '../i18n';
import { downloadText, toCsv } from '../lib/csv';
import type { Box } from '../lib/api';
import { FaceName } from './FaceName';
import { Table } from './Table';

export interface ResultRow {
  source: string;
  /** The face's number in its photo (as on its box), or the track's id in a video or camera. */
  number: number;
  /** The face's picture (its event's snapshot), when stored. */
  thumb?: string;
  /** Time or frame in the source, as shown ('' for a photo). */
  at: string;
  name: string | null;
  /** For an unknown face: who was nearest. */
  nearest?: string | null;
  score: number;
  box: Box;
}

export function ResultsTable({ rows, filename }: { rows: ResultRow[]; filename: string }) {
  const { t, number } = useI18n();
  const exportCsv = () =>
    downloadText(
      filename,
      toCsv(
        ['source', 'face', 'at', 'name', 'nearest', 'score', 'x', 'y', 'width', 'height'],
        rows.map((r) => [
          r.source,
          r.number,
          r.at,
          r.name ?? '',
          r.nearest ?? '',
          r.score,
          r.box.x,
          r.box.y,
          r.box.width,
          r.box.height,
        ]),
      ),
    );
  return (
    <section className="card">
      <div className="card-head">
        <h3>
          {t('results.title')} <span className="count">{rows.length}</span>
        </h3>
        <button type="button" onClick={exportCsv} disabled={!rows.length} data-testid="export-csv">
          {t('results.exportCsv')}
        </button>
      </div>
      {rows.length === 0 ? (
        <p className="muted empty">{t('results.empty')}</p>
      ) : (
        <Table
          testId="results-table"
          head={
            <>
              <th className="num">#</th>
              <th>{t('results.face')}</th>
              <th>{t('results.source')}</th>
              <th>{t('results.at')}</th>
              <th>{t('results.name')}</th>
              <th className="num">{t('results.score')}</th>
              <th>{t('results.box')}</th>
            </>
          }
        >
          {rows.map((r, i) => (
            <tr key={i} data-testid="result-row">
              <td className="num">{r.number}</td>
              <td>
                {r.thumb ? (
                  <img
                    className="result-thumb"
                    src={r.thumb}
                    alt={r.name ?? t('face.unknown')}
                    loading="lazy"
                  />
                ) : (
                  <span className="result-thumb" />
                )}
              </td>
              <td className="ellipsis" title={r.source}>
                {r.source}
              </td>
              <td>{r.at || '—'}</td>
              <td>
                <FaceName name={r.name} />
                {!r.name && r.nearest && (
                  <small className="muted nearest">{t('face.nearest', { name: r.nearest })}</small>
                )}
              </td>
              <td className="num">{number(r.score)}</td>
              <td className="mono">
                {Math.round(r.box.x)}, {Math.round(r.box.y)}, {Math.round(r.box.width)}×
                {Math.round(r.box.height)}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
