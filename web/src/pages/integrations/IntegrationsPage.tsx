// Integrations (admins): where recognitions go. MQTT (status, broker setting), the Frigate bridge (status
// and its last events), webhooks (subscribe, deliveries, dead letters and sending one again).
import { useState, type FormEvent, type ReactNode } from 'react';
import { Alert, Spinner } from '../../components/Alert';
import { Modal } from '../../components/Modal';
import { Table } from '../../components/Table';
import { TextField } from '../../components/TextField';
import { useI18n } from '../../i18n';
import { request } from '../../lib/api';
import { useAction, useFetched } from '../../lib/requests';
import type { BodyOf, ResponseOf } from '../../../../src/api/index';

type Status = ResponseOf<'GET /integrations'>;
type Webhook = ResponseOf<'PATCH /webhooks/:id'>;
type Delivery = ResponseOf<'POST /webhooks/deliveries/:id/retry'>;

const list = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function IntegrationsPage() {
  const { t } = useI18n();
  const status = useFetched(() => request<Status>('GET', '/integrations'), []);
  return (
    <div className="stack" data-testid="integrations-page">
      <h2>{t('integrations.title')}</h2>
      <p className="muted">{t('integrations.explain')}</p>
      {status.error && <Alert>{status.error}</Alert>}
      {!status.value ? (
        <Spinner />
      ) : (
        <>
          <MqttCard status={status.value} onChange={status.reload} />
          <FrigateCard status={status.value} onRefresh={status.reload} />
        </>
      )}
      <WebhooksCard />
    </div>
  );
}

function MqttCard({ status, onChange }: { status: Status; onChange: () => void }) {
  const { t, date } = useI18n();
  const { busy, error, run } = useAction();
  const [url, setUrl] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const mqtt = status.mqtt;
  const save = (e: FormEvent) => {
    e.preventDefault();
    const body: BodyOf<'PUT /integrations/mqtt'> = { url: url.trim() };
    if (username.trim()) body.username = username.trim();
    if (password) body.password = password;
    void run(async () => {
      await request('PUT', '/integrations/mqtt', body);
      setPassword('');
      onChange();
    });
  };
  return (
    <section className="card" data-testid="mqtt-card">
      <h3>{t('integrations.mqtt')}</h3>
      {mqtt.configured ? (
        <Facts
          items={[
            [t('integrations.broker'), mqtt.url],
            [
              t('integrations.state'),
              <span key="state" data-testid="mqtt-state">
                {mqtt.connected ? t('integrations.connected') : t('integrations.disconnected')}
              </span>,
            ],
            [t('integrations.published'), mqtt.published],
            [t('integrations.dropped'), mqtt.dropped],
            [t('integrations.lastPublished'), date(mqtt.lastPublishedAt)],
            ...(mqtt.lastError ? [[t('integrations.lastError'), mqtt.lastError] as const] : []),
          ]}
        />
      ) : (
        <p className="muted">{t('integrations.mqttOff')}</p>
      )}
      <form className="inline-form" onSubmit={save}>
        <TextField
          label={t('integrations.broker')}
          value={url}
          onChange={setUrl}
          placeholder="mqtt://homeassistant:1883"
          required
        />
        <TextField label={t('auth.username')} value={username} onChange={setUsername} />
        <TextField label={t('auth.password')} type="password" value={password} onChange={setPassword} />
        <button type="submit" className="primary" disabled={busy || !url.trim()}>
          {t('common.save')}
        </button>
        {mqtt.configured && (
          <button
            type="button"
            className="ghost"
            disabled={busy}
            onClick={() => void run(async () => (await request('DELETE', '/integrations/mqtt'), onChange()))}
          >
            {t('integrations.turnOff')}
          </button>
        )}
      </form>
      {error && <Alert>{error}</Alert>}
    </section>
  );
}

function FrigateCard({ status, onRefresh }: { status: Status; onRefresh: () => void }) {
  const { t, clock, number } = useI18n();
  const frigate = status.frigate;
  return (
    <section className="card" data-testid="frigate-card">
      <h3>{t('integrations.frigate')}</h3>
      {!frigate.configured ? (
        <p className="muted">{t('integrations.frigateOff')}</p>
      ) : (
        <>
          <Facts
            items={[
              [t('integrations.frigateUrl'), frigate.url],
              [
                t('integrations.state'),
                frigate.connected ? t('integrations.connected') : t('integrations.disconnected'),
              ],
              [t('integrations.taken'), frigate.taken],
              [t('integrations.skipped'), frigate.skipped],
            ]}
          />
          {(frigate.lastEvents ?? []).length === 0 ? (
            <p className="muted empty">{t('integrations.noFrigateEvents')}</p>
          ) : (
            <Table
              testId="frigate-events"
              head={
                <>
                  <th>{t('integrations.time')}</th>
                  <th>{t('integrations.camera')}</th>
                  <th>{t('integrations.frigateEvent')}</th>
                  <th>{t('integrations.outcome')}</th>
                  <th>{t('integrations.score')}</th>
                </>
              }
            >
              {frigate.lastEvents!.map((e) => (
                <tr key={`${e.frigateId}-${e.time}`}>
                  <td className="nowrap">{clock(e.time)}</td>
                  <td>{e.camera}</td>
                  <td>
                    <code>{e.frigateId}</code>
                  </td>
                  <td>{e.outcome === 'matched' ? e.name : t(`integrations.outcome.${e.outcome}`)}</td>
                  <td>{e.score === null ? '' : number(e.score)}</td>
                </tr>
              ))}
            </Table>
          )}
        </>
      )}
      <p className="muted">{t('integrations.frigateHow')}</p>
      <button type="button" className="ghost small" onClick={onRefresh}>
        {t('integrations.refresh')}
      </button>
    </section>
  );
}

function WebhooksCard() {
  const { t } = useI18n();
  const hooks = useFetched(() => request<ResponseOf<'GET /webhooks'>>('GET', '/webhooks'), []);
  const dead = useFetched(
    () => request<ResponseOf<'GET /webhooks/dead-letters'>>('GET', '/webhooks/dead-letters'),
    [],
  );
  const { busy, error, run } = useAction();
  const [url, setUrl] = useState('');
  const [people, setPeople] = useState('');
  const [cameras, setCameras] = useState('');
  const [unknown, setUnknown] = useState(true);
  const [secret, setSecret] = useState<string | null>(null);
  const [open, setOpen] = useState<Webhook | null>(null);

  const reload = () => {
    hooks.reload();
    dead.reload();
  };
  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const created = await request<ResponseOf<'POST /webhooks'>>('POST', '/webhooks', {
        url: url.trim(),
        people: list(people),
        cameras: list(cameras),
        unknown,
      } satisfies BodyOf<'POST /webhooks'>);
      setSecret(created.secret);
      setUrl('');
      reload();
    });
  };
  const remove = (hook: Webhook) =>
    void run(async () => {
      await request('DELETE', `/webhooks/${hook.id}`);
      reload();
    });
  const toggle = (hook: Webhook) =>
    void run(async () => {
      await request('PATCH', `/webhooks/${hook.id}`, { enabled: !hook.enabled });
      reload();
    });
  const retry = (d: Delivery) =>
    void run(async () => {
      await request('POST', `/webhooks/deliveries/${d.id}/retry`);
      reload();
    });

  return (
    <section className="card" data-testid="webhooks-card">
      <h3>{t('integrations.webhooks')}</h3>
      <p className="muted">{t('integrations.webhooksExplain')}</p>
      <form className="inline-form" onSubmit={create}>
        <TextField
          label={t('integrations.webhookUrl')}
          value={url}
          onChange={setUrl}
          placeholder="https://example.org/hook"
          required
          wide
        />
        <TextField
          label={t('integrations.people')}
          value={people}
          onChange={setPeople}
          hint={t('integrations.anyone')}
        />
        <TextField
          label={t('integrations.cameras')}
          value={cameras}
          onChange={setCameras}
          hint={t('integrations.anywhere')}
        />
        <label className="check">
          <input type="checkbox" checked={unknown} onChange={(e) => setUnknown(e.target.checked)} />
          <span>{t('integrations.sendUnknown')}</span>
        </label>
        <button type="submit" className="primary" disabled={busy || !url.trim()} data-testid="webhook-create">
          {t('integrations.subscribe')}
        </button>
      </form>
      {(error ?? hooks.error) && <Alert>{error ?? hooks.error}</Alert>}
      {!hooks.value ? (
        <Spinner />
      ) : hooks.value.items.length === 0 ? (
        <p className="muted empty">{t('integrations.noWebhooks')}</p>
      ) : (
        <Table
          testId="webhooks-table"
          head={
            <>
              <th>{t('integrations.webhookUrl')}</th>
              <th>{t('integrations.filters')}</th>
              <th>{t('integrations.delivered')}</th>
              <th>{t('integrations.pending')}</th>
              <th>{t('integrations.dead')}</th>
              <th />
            </>
          }
        >
          {hooks.value.items.map((h) => (
            <tr key={h.id} className={h.enabled ? '' : 'muted'}>
              <td>
                <code>{h.url}</code>
              </td>
              <td>
                {[
                  h.people.length ? h.people.join(', ') : h.named ? t('integrations.anyone') : '',
                  h.unknown ? t('integrations.unknownFaces') : '',
                  h.cameras.length ? h.cameras.join(', ') : '',
                ]
                  .filter(Boolean)
                  .join(' · ')}
              </td>
              <td>{h.delivered}</td>
              <td>{h.pending}</td>
              <td>{h.dead}</td>
              <td className="actions">
                <button type="button" className="small" onClick={() => setOpen(h)}>
                  {t('integrations.deliveries')}
                </button>
                <button type="button" className="small" onClick={() => toggle(h)}>
                  {h.enabled ? t('integrations.pause') : t('integrations.resume')}
                </button>
                <button type="button" className="small danger-text" onClick={() => remove(h)}>
                  {t('common.delete')}
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <h4>{t('integrations.deadLetters')}</h4>
      {!dead.value ? (
        <Spinner />
      ) : dead.value.items.length === 0 ? (
        <p className="muted empty">{t('integrations.noDeadLetters')}</p>
      ) : (
        <Deliveries items={dead.value.items} onRetry={retry} testId="dead-letters" />
      )}
      {secret && (
        <Modal
          title={t('integrations.secretTitle')}
          onClose={() => setSecret(null)}
          footer={
            <button type="button" className="primary" onClick={() => setSecret(null)}>
              {t('common.done')}
            </button>
          }
        >
          <p>{t('integrations.secretMessage')}</p>
          <div className="secret">
            <code data-testid="webhook-secret">{secret}</code>
          </div>
        </Modal>
      )}
      {open && <DeliveriesDialog hook={open} onClose={() => setOpen(null)} onRetry={retry} />}
    </section>
  );
}

function DeliveriesDialog({
  hook,
  onClose,
  onRetry,
}: {
  hook: Webhook;
  onClose: () => void;
  onRetry: (d: Delivery) => void;
}) {
  const { t } = useI18n();
  const deliveries = useFetched(
    () => request<ResponseOf<'GET /webhooks/:id/deliveries'>>('GET', `/webhooks/${hook.id}/deliveries`),
    [hook.id],
  );
  return (
    <Modal title={t('integrations.deliveriesOf', { url: hook.url })} onClose={onClose}>
      {deliveries.error && <Alert>{deliveries.error}</Alert>}
      {!deliveries.value ? (
        <Spinner />
      ) : deliveries.value.items.length === 0 ? (
        <p className="muted empty">{t('integrations.noDeliveries')}</p>
      ) : (
        <Deliveries items={deliveries.value.items} onRetry={onRetry} testId="deliveries" />
      )}
    </Modal>
  );
}

function Deliveries({
  items,
  onRetry,
  testId,
}: {
  items: Delivery[];
  onRetry: (d: Delivery) => void;
  testId: string;
}) {
  const { t, date } = useI18n();
  return (
    <Table
      testId={testId}
      head={
        <>
          <th>{t('integrations.event')}</th>
          <th>{t('integrations.state')}</th>
          <th>{t('integrations.attempts')}</th>
          <th>{t('integrations.lastError')}</th>
          <th>{t('integrations.time')}</th>
          <th />
        </>
      }
    >
      {items.map((d) => (
        <tr key={d.id}>
          <td>{d.eventId}</td>
          <td>{t(`integrations.delivery.${d.state}`)}</td>
          <td>{d.attempts}</td>
          <td>{d.lastError ?? ''}</td>
          <td className="nowrap">{date(d.finishedAt ?? d.createdAt)}</td>
          <td className="actions">
            {d.state === 'dead' && (
              <button type="button" className="small" onClick={() => onRetry(d)}>
                {t('integrations.sendAgain')}
              </button>
            )}
          </td>
        </tr>
      ))}
    </Table>
  );
}

/** Labelled figures of a status, in the app's stat boxes. */
function Facts({ items }: { items: readonly (readonly [string, ReactNode])[] }) {
  return (
    <dl className="stats">
      {items.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
