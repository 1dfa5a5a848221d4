// The results table of Recognize (photos and videos): source, time or frame, name, score, box; exported
// as CSV exactly as shown.
import { useI18n } from '../i18n';
import { downloadText, toCsv } from '../lib/csv';
import type { Box } from '../lib/api';
import { FaceName } from './FaceName';
import { Table } from './Table';

export interface ResultRow {
  source: string;
  /** Time or frame in the source, as shown ('' for a photo). */
  at: string;
  name: string | null;
  score: number;
  box: Box;
}

export function ResultsTable({ rows, filename }: { rows: ResultRow[]; filename: string }) {
  const { t, number } = useI18n();
  const exportCsv = () =>
    downloadText(
      filename,
      toCsv(
        ['source', 'at', 'name', 'score', 'x', 'y', 'width', 'height'],
        rows.map((r) => [r.source, r.at, r.name ?? '', r.score, r.box.x, r.box.y, r.box.width, r.box.height]),
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
              <th>{t('results.source')}</th>
              <th>{t('results.at')}</th>
              <th>{t('results.name')}</th>
              <th className="num">{t('results.score')}</th>
              <th>{t('results.box')}</th>
            </>
          }
        >
          {rows.map((r, i) => (
            <tr key={i}>
              <td className="ellipsis" title={r.source}>
                {r.source}
              </td>
              <td>{r.at || '—'}</td>
              <td>
                <FaceName name={r.name} />
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
