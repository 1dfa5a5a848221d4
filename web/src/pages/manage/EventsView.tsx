// The event history: every stored recognition with its snapshot, filtered, paged and exportable as CSV.
import { useEffect, useState } from 'react';
import { Alert, Spinner } from '../../components/Alert';
import { UnknownTag } from '../../components/FaceName';
import { Table } from '../../components/Table';
import { useI18n } from '../../i18n';
import { api, type EventFilter } from '../../lib/api';
import { useFetched } from '../../lib/requests';
import { href } from '../../lib/router';
import { Pager } from './Pager';

const PAGE = 25;
/** The source filter is typed: wait for a pause. */
const DEBOUNCE_MS = 150;

export function EventsView() {
  const { t } = useI18n();
  const [unknown, setUnknown] = useState(false);
  const [source, setSource] = useState('');
  const filter: EventFilter = { unknown: unknown || undefined, source: source.trim() || undefined };
  return (
    <section className="card">
      <div className="toolbar">
        <input
          type="search"
          className="search"
          placeholder={t('events.source')}
          value={source}
          onChange={(e) => setSource(e.target.value)}
        />
        <label className="check">
          <input type="checkbox" checked={unknown} onChange={(e) => setUnknown(e.target.checked)} />
          <span>{t('events.unknownOnly')}</span>
        </label>
        <a className="button" href={api.eventsCsvUrl(filter)} download="visage-events.csv">
          {t('results.exportCsv')}
        </a>
      </div>
      <EventsTable filter={filter} />
    </section>
  );
}

export function EventsTable({ filter, compact = false }: { filter: EventFilter; compact?: boolean }) {
  const { t, number, date } = useI18n();
  const [offset, setOffset] = useState(0);
  const key = JSON.stringify(filter);
  useEffect(() => setOffset(0), [key]);
  const { value: page, error } = useFetched(
    () => api.events({ ...filter, limit: PAGE, offset }),
    [key, offset],
    DEBOUNCE_MS,
  );

  if (error) return <Alert>{error}</Alert>;
  if (!page) return <Spinner label={t('common.loading')} />;
  if (page.items.length === 0) return <p className="muted empty">{t('events.empty')}</p>;
  return (
    <>
      <Table
        testId="events-table"
        head={
          <>
            <th aria-label={t('events.snapshot')} />
            <th>{t('events.time')}</th>
            {!compact && <th>{t('results.name')}</th>}
            <th>{t('results.source')}</th>
            <th>{t('results.at')}</th>
            <th className="num">{t('results.score')}</th>
          </>
        }
      >
        {page.items.map((e) => (
          <tr key={e.id}>
            <td className="snap-cell">
              {e.hasSnapshot ? (
                <img className="snap" src={api.eventSnapshotUrl(e.id)} alt="" loading="lazy" />
              ) : null}
            </td>
            <td className="nowrap">{date(e.time)}</td>
            {!compact && (
              <td>
                {e.name && e.personId ? (
                  <a href={href('manage', 'people', e.personId)}>{e.name}</a>
                ) : (
                  <UnknownTag />
                )}
              </td>
            )}
            <td className="ellipsis" title={e.source}>
              {e.source}
            </td>
            <td className="nowrap">
              {e.frame !== null
                ? t('events.frame', { n: e.frame })
                : e.offsetS !== null
                  ? `${number(e.offsetS, 1)} s`
                  : '—'}
            </td>
            <td className="num">{e.score === null ? '—' : number(e.score)}</td>
          </tr>
        ))}
      </Table>
      <Pager total={page.total} offset={offset} limit={PAGE} onOffset={setOffset} />
    </>
  );
}
