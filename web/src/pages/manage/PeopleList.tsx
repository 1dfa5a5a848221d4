// People as a grid of cards: thumbnail, name, sample count, last seen; search and pages.
import { useState } from 'react';
import { Alert, Spinner } from '../../components/Alert';
import { useI18n } from '../../i18n';
import { api } from '../../lib/api';
import { useFetched } from '../../lib/requests';
import { href } from '../../lib/router';
import { useSession } from '../../lib/session';
import { Pager } from './Pager';

const PAGE = 24;
const DEBOUNCE_MS = 250;

export function PeopleList() {
  const { t, date } = useI18n();
  const { isAdmin } = useSession();
  const [search, setSearch] = useState('');
  const [offset, setOffset] = useState(0);
  const { value: page, error } = useFetched(
    () => api.people(search.trim(), PAGE, offset),
    [search, offset],
    DEBOUNCE_MS,
  );

  return (
    <div className="stack">
      <div className="toolbar">
        <input
          type="search"
          className="search"
          placeholder={t('manage.search')}
          value={search}
          onChange={(e) => {
            setSearch(e.target.value);
            setOffset(0);
          }}
          data-testid="people-search"
        />
        {page && <span className="muted">{t('manage.peopleCount', { n: page.total })}</span>}
        {isAdmin && (
          <a className="button primary" href={href('enroll')}>
            {t('manage.addPerson')}
          </a>
        )}
      </div>
      {error && <Alert>{error}</Alert>}
      {!page ? (
        <Spinner label={t('common.loading')} />
      ) : page.items.length === 0 ? (
        <div className="card empty-state">
          <p>{search.trim() ? t('manage.noMatch') : t('manage.noPeople')}</p>
        </div>
      ) : (
        <div className="people-grid" data-testid="people-grid">
          {page.items.map((p) => (
            <a
              key={p.id}
              className="person-card"
              href={href('manage', 'people', p.id)}
              data-testid="person-card"
            >
              {p.thumbnailSampleId ? (
                <img src={api.thumbnailUrl(p.thumbnailSampleId)} alt="" loading="lazy" />
              ) : (
                <span className="thumb-placeholder" aria-hidden="true">
                  {p.name.slice(0, 1)}
                </span>
              )}
              <span className="person-meta">
                <strong className="ellipsis" data-testid="person-name">
                  {p.name}
                </strong>
                <small className="muted">{t('manage.samplesCount', { n: p.samples })}</small>
                <small className="muted">
                  {t('manage.lastSeen')} {date(p.lastSeenAt)}
                </small>
              </span>
            </a>
          ))}
        </div>
      )}
      {page && <Pager total={page.total} offset={offset} limit={PAGE} onOffset={setOffset} />}
    </div>
  );
}
