// Webhooks: each subscription gets a signed POST of every stored event that passes its filters (named
// people, or some of them; unknown faces; some cameras or sources), retried with exponential backoff, and
// kept as a dead letter when the last retry failed (visible in the API and the Integrations page, and
// sendable again by hand).
//
// Signature: `X-Visage-Timestamp: <ms since the epoch>` and `X-Visage-Signature: sha256=<hex>`, the
// HMAC-SHA256 under the subscription's secret of `<timestamp>.<raw body>`, so a receiver can check both
// that Visage sent it and that it is not an old delivery replayed (signedPayload / verifySignature).
//
// Deliveries are rows (migration "integrations"), written when the event is stored, by whichever
// process stored it; the sending loop runs in long-running processes (serve, watch, frigate), so events
// of a one-shot `visage recognize` are sent by the server that shares the data directory. A process
// takes a due delivery by moving its due time forward (a lease, one conditional UPDATE), so two
// processes never send the same attempt, and a delivery whose sender died is taken up again when the
// lease runs out.
//
// Addresses: a webhook URL is an outbound request the server makes for an admin, so it is held to the
// camera address policy (media/url-policy.ts: no loopback, link-local, metadata or multicast address
// unless allowed by VISAGE_CAMERA_ALLOW / --camera-allow), checked when the subscription is saved and
// again before every attempt (a host name may resolve elsewhere later). Redirects are not followed (a
// 3xx is a failed attempt), and a failure is recorded as the status code or a category, never the
// receiver's answer.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { statement, type Db } from '../../gallery/database.js';
import { VisageError, isVisageError } from '../../errors.js';
import { checkStreamUrl, isNetworkUrl, maskCredentials } from '../../media/url-policy.js';
import type { StoredEvent } from './event-feed.js';

export const SIGNATURE_HEADER = 'x-visage-signature';
export const TIMESTAMP_HEADER = 'x-visage-timestamp';

export interface WebhookFilters {
  /** Send events that named someone (default true). */
  named?: boolean;
  /** Only these people (names); empty or omitted: anyone named. */
  people?: string[];
  /** Send unknown faces (default true). */
  unknown?: boolean;
  /** Only events of these cameras or sources; empty or omitted: any. */
  cameras?: string[];
}

export interface WebhookInput extends WebhookFilters {
  url: string;
  enabled?: boolean;
}

export interface Webhook {
  id: number;
  url: string;
  named: boolean;
  people: string[];
  unknown: boolean;
  cameras: string[];
  enabled: boolean;
  createdAt: string;
  delivered: number;
  pending: number;
  dead: number;
}

export type DeliveryState = 'pending' | 'delivered' | 'dead';

export interface Delivery {
  id: number;
  webhookId: number;
  eventId: number;
  state: DeliveryState;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface RetryPolicy {
  /** Attempts in all, the first included (default 6: then 1 s, 2 s, 4 s, 8 s, 16 s apart… capped). */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** One attempt's time limit. */
  timeoutMs: number;
  /** How often due deliveries are looked for. */
  pollMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 6,
  initialDelayMs: 1000,
  maxDelayMs: 10 * 60_000,
  timeoutMs: 10_000,
  pollMs: 1000,
};

/** Attempts sent at once by one process. */
const CONCURRENCY = 4;
/** Deliveries listed per page. */
const PAGE = 100;

interface WebhookRow {
  id: number;
  url: string;
  secret: string;
  named: number;
  people: string;
  unknown: number;
  cameras: string;
  enabled: number;
  created_at: number;
}

interface DeliveryRow {
  id: number;
  webhook_id: number;
  event_id: number;
  payload: string;
  state: DeliveryState;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: number | null;
  created_at: number;
  finished_at: number | null;
}

/** What a receiver signs to check a delivery: `<timestamp>.<raw body>`. */
export function signedPayload(timestamp: string, body: string): string {
  return `${timestamp}.${body}`;
}

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(signedPayload(timestamp, body)).digest('hex')}`;
}

/** A receiver's check, in constant time. */
export function verifySignature(secret: string, timestamp: string, body: string, header: string): boolean {
  const expected = Buffer.from(signature(secret, timestamp, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export class Webhooks {
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private retry: RetryPolicy = DEFAULT_RETRY;

  constructor(private readonly db: Db) {}

  list(): Webhook[] {
    const rows = statement(this.db, 'SELECT * FROM webhooks ORDER BY id').all() as WebhookRow[];
    return rows.map((r) => this.view(r));
  }

  get(id: number): Webhook {
    return this.view(this.row(id));
  }

  /** Errors: `invalid_webhook` (not an http(s) URL), `camera_address_refused`, `source_unreachable`. */
  async create(input: WebhookInput): Promise<{ webhook: Webhook; secret: string }> {
    await checkUrl(input.url);
    const secret = randomBytes(32).toString('hex');
    const id = Number(
      statement(
        this.db,
        `INSERT INTO webhooks (url, secret, named, people, unknown, cameras, enabled, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        input.url,
        secret,
        Number(input.named ?? true),
        JSON.stringify(input.people ?? []),
        Number(input.unknown ?? true),
        JSON.stringify(input.cameras ?? []),
        Number(input.enabled ?? true),
        Date.now(),
      ).lastInsertRowid,
    );
    return { webhook: this.get(id), secret };
  }

  /** Changes the URL, filters or enabled state. Errors: `webhook_not_found` and those of create. */
  async update(id: number, change: Partial<WebhookInput>): Promise<Webhook> {
    const before = this.get(id);
    if (change.url !== undefined) await checkUrl(change.url);
    // The stored URL, not the view's: that one has its user:password masked.
    const next = { ...before, ...change, url: change.url ?? this.row(id).url };
    statement(
      this.db,
      'UPDATE webhooks SET url = ?, named = ?, people = ?, unknown = ?, cameras = ?, enabled = ? WHERE id = ?',
    ).run(
      next.url,
      Number(next.named),
      JSON.stringify(next.people),
      Number(next.unknown),
      JSON.stringify(next.cameras),
      Number(next.enabled),
      id,
    );
    return this.get(id);
  }

  /** Removes a subscription with its deliveries. Errors: `webhook_not_found`. */
  remove(id: number): void {
    this.row(id);
    statement(this.db, 'DELETE FROM webhooks WHERE id = ?').run(id);
  }

  /** A subscription's deliveries, newest first (its dead letters with `state: 'dead'`). */
  deliveries(webhookId: number, state?: DeliveryState): Delivery[] {
    this.row(webhookId);
    return (
      statement(
        this.db,
        `SELECT * FROM webhook_deliveries WHERE webhook_id = ? AND (CAST(? AS TEXT) IS NULL OR state = ?)
           ORDER BY id DESC LIMIT ${PAGE}`,
      ).all(webhookId, state ?? null, state ?? null) as DeliveryRow[]
    ).map(deliveryView);
  }

  /** Every subscription's dead letters, newest first. */
  deadLetters(): Delivery[] {
    return (
      statement(
        this.db,
        `SELECT * FROM webhook_deliveries WHERE state = 'dead' ORDER BY id DESC LIMIT ${PAGE}`,
      ).all() as DeliveryRow[]
    ).map(deliveryView);
  }

  /** Sends a dead letter again (a fresh round of attempts). Errors: `delivery_not_found`. */
  redeliver(deliveryId: number): Delivery {
    const changed = statement(
      this.db,
      `UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?, finished_at = NULL
         WHERE id = ? AND state = 'dead'`,
    ).run(Date.now(), deliveryId).changes;
    const row = statement(this.db, 'SELECT * FROM webhook_deliveries WHERE id = ?').get(deliveryId) as
      DeliveryRow | undefined;
    if (!row || changed === 0)
      throw new VisageError('delivery_not_found', `No dead letter with id ${deliveryId}.`, { deliveryId });
    this.wake();
    return deliveryView(row);
  }

  counts(): { webhooks: number; pending: number; dead: number } {
    const n = (sql: string) => statement(this.db, sql, 'pluck').get() as number;
    return {
      webhooks: n('SELECT COUNT(*) FROM webhooks'),
      pending: n(`SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'pending'`),
      dead: n(`SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'dead'`),
    };
  }

  /**
   * The feed's listener: one pending delivery per event and subscription whose filters pass (an insert
   * each). The subscriptions are read once per store call, and only their filters, not their counts.
   */
  record(events: readonly StoredEvent[]): void {
    const rows = statement(this.db, 'SELECT * FROM webhooks WHERE enabled = 1').all() as WebhookRow[];
    if (rows.length === 0) return;
    const hooks = rows.map((r) => ({ id: r.id, ...filtersOf(r) }));
    const now = Date.now();
    for (const event of events) {
      const body = JSON.stringify({ type: 'event', event });
      for (const hook of hooks) {
        if (!passes(hook, event)) continue;
        statement(
          this.db,
          `INSERT INTO webhook_deliveries (webhook_id, event_id, payload, state, next_attempt_at, created_at)
             VALUES (?, ?, ?, 'pending', ?, ?)`,
        ).run(hook.id, event.eventId, body, now, now);
      }
    }
    this.wake();
  }

  /** Starts sending due deliveries in this process (long-running ones); `retry` shortens waits in tests. */
  start(retry: Partial<RetryPolicy> = {}): void {
    this.retry = { ...DEFAULT_RETRY, ...retry };
    if (this.timer) return;
    this.timer = setInterval(() => this.wake(), this.retry.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Stops looking for due deliveries and waits for the attempts under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all([...this.inFlight]);
  }

  private wake(): void {
    if (!this.timer) return;
    while (this.inFlight.size < CONCURRENCY) {
      const row = this.claimDue();
      if (!row) return;
      // A closed database (the process is stopping) ends the attempt; the lease brings it back later.
      const attempt = this.attempt(row)
        .catch(() => undefined)
        .finally(() => {
          this.inFlight.delete(attempt);
          this.wake();
        });
      this.inFlight.add(attempt);
    }
  }

  /**
   * Takes the next due delivery by moving its due time past this attempt's time limit, in one conditional
   * UPDATE (another process that read the same row changes nothing). A look that finds nothing due, the
   * usual case, only reads: no write lock every poll.
   */
  private claimDue(): DeliveryRow | undefined {
    for (;;) {
      const now = Date.now();
      const row = statement(
        this.db,
        `SELECT * FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ?
           ORDER BY next_attempt_at, id LIMIT 1`,
      ).get(now) as DeliveryRow | undefined;
      if (!row) return undefined;
      const taken = statement(
        this.db,
        `UPDATE webhook_deliveries SET next_attempt_at = ?
           WHERE id = ? AND state = 'pending' AND next_attempt_at = ?`,
      ).run(now + this.retry.timeoutMs + 5000, row.id, row.next_attempt_at).changes;
      if (taken === 1) return row;
    }
  }

  private async attempt(row: DeliveryRow): Promise<void> {
    const hook = statement(this.db, 'SELECT * FROM webhooks WHERE id = ?').get(row.webhook_id) as
      WebhookRow | undefined;
    if (!hook) return;
    const outcome = await post(hook, row.payload, this.retry.timeoutMs);
    const attempts = row.attempts + 1;
    const now = Date.now();
    if (outcome.ok) {
      statement(
        this.db,
        `UPDATE webhook_deliveries SET state = 'delivered', attempts = ?, last_status = ?, last_error = NULL,
           next_attempt_at = NULL, finished_at = ? WHERE id = ?`,
      ).run(attempts, outcome.status, now, row.id);
      return;
    }
    const dead = attempts >= this.retry.maxAttempts;
    const delay = Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** (attempts - 1));
    statement(
      this.db,
      `UPDATE webhook_deliveries SET state = ?, attempts = ?, last_status = ?, last_error = ?,
         next_attempt_at = ?, finished_at = ? WHERE id = ?`,
    ).run(
      dead ? 'dead' : 'pending',
      attempts,
      outcome.status,
      outcome.error,
      dead ? null : now + delay,
      dead ? now : null,
      row.id,
    );
  }

  private row(id: number): WebhookRow {
    const row = statement(this.db, 'SELECT * FROM webhooks WHERE id = ?').get(id) as WebhookRow | undefined;
    if (!row) throw new VisageError('webhook_not_found', `No webhook with id ${id}.`, { webhookId: id });
    return row;
  }

  private view(r: WebhookRow): Webhook {
    const count = (state: DeliveryState) =>
      statement(
        this.db,
        'SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = ? AND state = ?',
        'pluck',
      ).get(r.id, state) as number;
    return {
      id: r.id,
      url: maskCredentials(r.url),
      ...filtersOf(r),
      enabled: r.enabled === 1,
      createdAt: new Date(r.created_at).toISOString(),
      delivered: count('delivered'),
      pending: count('pending'),
      dead: count('dead'),
    };
  }
}

/** A subscription's filters as its row stores them. */
function filtersOf(r: WebhookRow): Required<WebhookFilters> {
  return {
    named: r.named === 1,
    people: JSON.parse(r.people) as string[],
    unknown: r.unknown === 1,
    cameras: JSON.parse(r.cameras) as string[],
  };
}

function passes(hook: Required<WebhookFilters>, e: StoredEvent): boolean {
  const where = e.camera ?? e.source;
  if (hook.cameras.length > 0 && !hook.cameras.some((c) => c.toLowerCase() === where.toLowerCase()))
    return false;
  if (e.name === null) return hook.unknown;
  if (!hook.named) return false;
  return hook.people.length === 0 || hook.people.some((p) => p.toLowerCase() === e.name!.toLowerCase());
}

async function checkUrl(url: string): Promise<void> {
  if (!/^https?:\/\//i.test(url) || !isNetworkUrl(url))
    throw new VisageError('invalid_webhook', 'A webhook URL must be an http:// or https:// address.', {
      url: maskCredentials(url),
    });
  await checkStreamUrl(url);
}

type Outcome = { ok: true; status: number } | { ok: false; status: number | null; error: string };

async function post(hook: WebhookRow, body: string, timeoutMs: number): Promise<Outcome> {
  try {
    await checkUrl(hook.url);
  } catch (e) {
    return { ok: false, status: null, error: isVisageError(e) ? e.code : 'refused' };
  }
  const timestamp = String(Date.now());
  try {
    const response = await fetch(hook.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Visage-Webhook',
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: signature(hook.secret, timestamp, body),
      },
      body,
    });
    await response.body?.cancel();
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    return { ok: false, status: response.status, error: `HTTP ${response.status}` };
  } catch (e) {
    const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
    return { ok: false, status: null, error: timedOut ? 'timed out' : 'unreachable' };
  }
}

function deliveryView(r: DeliveryRow): Delivery {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: r.id,
    webhookId: r.webhook_id,
    eventId: r.event_id,
    state: r.state,
    attempts: r.attempts,
    lastStatus: r.last_status,
    lastError: r.last_error,
    nextAttemptAt: r.state === 'pending' ? iso(r.next_attempt_at) : null,
    createdAt: new Date(r.created_at).toISOString(),
    finishedAt: iso(r.finished_at),
  };
}
