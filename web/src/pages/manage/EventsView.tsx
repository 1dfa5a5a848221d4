// The event history: every stored recognition with its snapshot, filtered by person (or unknown faces
// only), source (a file or a camera) and date range, paged, and exported as CSV with the same filters.
// An administrator can say who any face is ("this is …"): it is enrolled and the recognition corrected.
import { useEffect, useState } from 'react';
import { Alert, Spinner } from '../../components/Alert';
import { UnknownTag } from '../../components/FaceName';
import { PersonNameInput } from '../../components/PersonNameInput';
import { Table } from '../../components/Table';
import { useI18n } from '../../i18n';
import { api, type EventFilter, type Person } from '../../lib/api';
import { useFetched } from '../../lib/requests';
import { href } from '../../lib/router';
import { useSession } from '../../lib/session';
import { AssignFace } from '../review/AssignFace';
import { Pager } from './Pager';

const PAGE = 25;
/** The person filter is typed: wait for a pause. */
const DEBOUNCE_MS = 150;

/** A day picked in a date field (YYYY-MM-DD, the browser's local day) as the instant it starts. */
function dayStart(day: string, plusDays = 0): string | undefined {
  if (!day) return undefined;
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y!, m! - 1, d! + plusDays).toISOString();
}

/** A labelled date field (the filter's "from" and "to" days). */
function DayField(props: { label: string; value: string; onChange: (day: string) => void; testId: string }) {
  return (
    <label className="check">
      <span>{props.label}</span>
      <input
        type="date"
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        data-testid={props.testId}
      />
    </label>
  );
}

export function EventsView() {
  const { t } = useI18n();
  const [unknown, setUnknown] = useState(false);
  const [personName, setPersonName] = useState('');
  const [person, setPerson] = useState<Person | null>(null);
  const [source, setSource] = useState('');
  const [fromDay, setFromDay] = useState('');
  const [toDay, setToDay] = useState('');
  const sources = useFetched(() => api.eventSources(), []);
  const typedPerson = personName.trim() !== '';
  const matched =
    person !== null && person.name.toLowerCase() === personName.trim().normalize('NFC').toLowerCase()
      ? person
      : null;
  const filter: EventFilter = {
    ...(unknown ? { unknown: true } : matched ? { personId: matched.id } : {}),
    source: source || undefined,
    from: dayStart(fromDay),
    // The "to" day is included: up to the start of the next day.
    to: dayStart(toDay, 1),
  };
  const clear = () => {
    setUnknown(false);
    setPersonName('');
    setSource('');
    setFromDay('');
    setToDay('');
  };
  return (
    <section className="card">
      <div className="toolbar events-filters">
        <PersonNameInput
          value={personName}
          onChange={setPersonName}
          onMatch={setPerson}
          placeholder={t('events.person')}
          testId="events-person"
        />
        <select
          value={source}
          onChange={(e) => setSource(e.target.value)}
          aria-label={t('results.source')}
          data-testid="events-source"
        >
          <option value="">{t('events.allSources')}</option>
          {(sources.value?.items ?? []).map((s) => (
            <option key={s.source} value={s.source}>
              {s.source} ({s.events})
            </option>
          ))}
        </select>
        <DayField label={t('events.from')} value={fromDay} onChange={setFromDay} testId="events-from" />
        <DayField label={t('events.to')} value={toDay} onChange={setToDay} testId="events-to" />
        <label className="check">
          <input type="checkbox" checked={unknown} onChange={(e) => setUnknown(e.target.checked)} />
          <span>{t('events.unknownOnly')}</span>
        </label>
        <button type="button" className="ghost small" onClick={clear}>
          {t('events.clear')}
        </button>
        <a
          className="button"
          href={api.eventsCsvUrl(filter)}
          download="visage-events.csv"
          data-testid="events-csv"
        >
          {t('results.exportCsv')}
        </a>
      </div>
      {typedPerson && !unknown && !matched && <small className="muted">{t('events.noSuchPerson')}</small>}
      <EventsTable filter={filter} assign />
    </section>
  );
}

export function EventsTable({
  filter,
  compact = false,
  assign = false,
}: {
  filter: EventFilter;
  compact?: boolean;
  /** Offer "this is …" on each face (administrators, when the server takes corrections). */
  assign?: boolean;
}) {
  const { t, number, date } = useI18n();
  const { isAdmin, capabilities } = useSession();
  const [offset, setOffset] = useState(0);
  const [notice, setNotice] = useState<{ id: number; name: string } | null>(null);
  const key = JSON.stringify(filter);
  useEffect(() => setOffset(0), [key]);
  const {
    value: page,
    error,
    reload,
  } = useFetched(() => api.events({ ...filter, limit: PAGE, offset }), [key, offset], DEBOUNCE_MS);
  const canAssign = assign && isAdmin && capabilities.correct;

  if (error) return <Alert>{error}</Alert>;
  if (!page) return <Spinner label={t('common.loading')} />;
  if (page.items.length === 0) return <p className="muted empty">{t('events.empty')}</p>;
  return (
    <>
      <small className="muted" data-testid="events-total">
        {t('events.count', { n: page.total })}
      </small>
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
            {canAssign && <th aria-label={t('assign.button')} />}
          </>
        }
      >
        {page.items.map((e) => (
          <tr key={e.id} data-testid="event-row">
            <td className="snap-cell">
              {e.hasSnapshot ? (
                <img className="snap" src={api.eventSnapshotUrl(e.id)} alt="" loading="lazy" />
              ) : null}
            </td>
            <td className="nowrap">{date(e.time)}</td>
            {!compact && (
              <td data-testid="event-name">
                {e.name && e.personId ? (
                  <a href={href('manage', 'people', e.personId)}>{e.name}</a>
                ) : (
                  <UnknownTag />
                )}
                {notice?.id === e.id && (
                  <small className="ok-text"> {t('assign.done', { name: notice.name })}</small>
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
            {canAssign && (
              <td className="actions">
                {e.hasSnapshot && (
                  <AssignFace
                    eventId={e.id}
                    onAssigned={(name) => {
                      setNotice({ id: e.id, name });
                      reload();
                    }}
                  />
                )}
              </td>
            )}
          </tr>
        ))}
      </Table>
      <Pager total={page.total} offset={offset} limit={PAGE} onOffset={setOffset} />
    </>
  );
}
