// Privacy: what Visage keeps and for how long (anyone logged in may read it), and for admins the
// retention days, whether a forget keeps the name in the audit log, and a clean-up now.
import { useEffect, useState, type FormEvent } from 'react';
import { Alert, Spinner } from '../../components/Alert';
import { TextField } from '../../components/TextField';
import { useI18n } from '../../i18n';
import { api } from '../../lib/api';
import { useAction, useFetched } from '../../lib/requests';
import { useSession } from '../../lib/session';

/** A days field's text as the API's value: empty keeps forever (null). */
const daysOf = (text: string): number | null => (text.trim() === '' ? null : Number(text));
const textOf = (days: number | null): string => (days === null ? '' : String(days));

export function PrivacyView() {
  const { t, date } = useI18n();
  const { isAdmin } = useSession();
  const loaded = useFetched(() => api.privacy(), []);
  const { busy, error, run } = useAction();
  const [eventDays, setEventDays] = useState('');
  const [unknownDays, setUnknownDays] = useState('');
  const [auditNames, setAuditNames] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const settings = loaded.value;

  useEffect(() => {
    if (!settings) return;
    setEventDays(textOf(settings.eventDays));
    setUnknownDays(textOf(settings.unknownDays));
    setAuditNames(settings.forgetAuditNames);
  }, [settings]);

  if (loaded.error) return <Alert>{loaded.error}</Alert>;
  if (!settings) return <Spinner label={t('common.loading')} />;

  const kept = (days: number | null) =>
    days === null ? t('privacy.keepForever') : t('privacy.keepDays', { n: days });

  const save = (e: FormEvent) => {
    e.preventDefault();
    setNotice(null);
    void run(async () => {
      await api.updatePrivacy({
        eventDays: daysOf(eventDays),
        unknownDays: daysOf(unknownDays),
        forgetAuditNames: auditNames,
      });
      setNotice(t('privacy.saved'));
      loaded.reload();
    });
  };

  const cleanUp = () => {
    setNotice(null);
    void run(async () => {
      const r = await api.runRetention();
      setNotice(t('privacy.ran', { events: r.events, unknown: r.unknown }));
      loaded.reload();
    });
  };

  return (
    <div className="stack">
      <section className="card" data-testid="privacy-kept">
        <h3>{t('privacy.title')}</h3>
        <p className="muted">{t('privacy.explain')}</p>
        <ul>
          <li>
            {t('privacy.events')}: <strong data-testid="kept-events">{kept(settings.eventDays)}</strong>
          </li>
          <li>
            {t('privacy.unknown')}: <strong data-testid="kept-unknown">{kept(settings.unknownDays)}</strong>
          </li>
        </ul>
        <p className="muted">
          {settings.forgetAuditNames ? t('privacy.auditNamesOn') : t('privacy.auditNamesOff')}
        </p>
        <p className="muted">
          {t('privacy.lastRun', {
            time: settings.retentionRanAt ? date(settings.retentionRanAt) : t('privacy.never'),
          })}
        </p>
      </section>
      {isAdmin && (
        <section className="card">
          <form className="inline-form" onSubmit={save}>
            <TextField
              label={`${t('privacy.events')} — ${t('privacy.days')}`}
              value={eventDays}
              onChange={setEventDays}
              type="number"
              min={1}
              max={36500}
              data-testid="event-days"
            />
            <TextField
              label={`${t('privacy.unknown')} — ${t('privacy.days')}`}
              value={unknownDays}
              onChange={setUnknownDays}
              type="number"
              min={1}
              max={36500}
              data-testid="unknown-days"
            />
            <label className="check">
              <input
                type="checkbox"
                checked={auditNames}
                onChange={(e) => setAuditNames(e.target.checked)}
                data-testid="audit-names"
              />
              {t('privacy.auditNames')}
            </label>
            <button type="submit" className="primary" disabled={busy} data-testid="privacy-save">
              {t('common.save')}
            </button>
            <button type="button" onClick={cleanUp} disabled={busy} data-testid="retention-run">
              {t('privacy.runNow')}
            </button>
          </form>
          {error && <Alert>{error}</Alert>}
          {notice && (
            <p className="muted" role="status" data-testid="privacy-notice">
              {notice}
            </p>
          )}
        </section>
      )}
    </div>
  );
}
