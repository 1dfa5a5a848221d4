// Retention: events (with their snapshots and embeddings) older than the settings' eventDays, and
// unknown faces older than unknownDays, are removed by one job: daily by `visage serve` (scheduleRetention)
// or by `visage retention --run` from cron. Deleted rows are zeroed in place (secure_delete, database.ts)
// and the write-ahead log is emptied afterwards, as for a forget. What goes with an event goes with it
// (webhook deliveries, Frigate links: ON DELETE CASCADE); corrections recorded from it stay (they are the
// gallery's, not the event's) without their link to it. The people, samples and corrections are never
// expired: they were enrolled on purpose and are removed by delete or forget.
import { truncateWal } from '../../gallery/database.js';
import type { Gallery } from '../../gallery/gallery.js';
import type { RetentionReport } from '../../api/index.js';
import { iso } from '../json.js';
import type { PrivacySettingsStore } from './settings.js';

export type { RetentionReport };

export interface RetentionDeps {
  gallery: Gallery;
  settings: PrivacySettingsStore;
}

export const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * How often a running server looks whether a day has passed since the last run (recorded in the
 * database, so a restart, or a cron run of the CLI, does not make it run twice in a day).
 */
export const RETENTION_CHECK_MS = 60 * 60 * 1000;

/** Removes what is older than the settings allow, as of `now`. */
export function runRetention(deps: RetentionDeps, now = Date.now()): RetentionReport {
  const { gallery, settings } = deps;
  const { eventDays, unknownDays } = settings.get();
  const removed = gallery.db
    .transaction(() => {
      const events = eventDays === null ? 0 : gallery.events.deleteBefore(now - eventDays * DAY_MS);
      const unknown =
        unknownDays === null ? 0 : gallery.events.deleteBefore(now - unknownDays * DAY_MS, true);
      settings.markRetentionRun(now);
      if (events + unknown > 0)
        gallery.audit.append('privacy.retention', { events, unknown, eventDays, unknownDays });
      return { events, unknown };
    })
    .immediate();
  const walTruncated = removed.events + removed.unknown > 0 ? truncateWal(gallery.db) : true;
  return { ranAt: iso(now), ...removed, walTruncated };
}

export interface RetentionSchedule {
  stop(): void;
}

/**
 * Runs retention now if it has not run in the last day, and then whenever a day has passed, looking
 * every `checkMs`. The timer never keeps the process alive. `onRun` hears each report, `onError` each
 * failure (a busy database: the next look retries).
 */
export function scheduleRetention(
  deps: RetentionDeps,
  handlers: { onRun?: (report: RetentionReport) => void; onError?: (error: unknown) => void } = {},
  checkMs = RETENTION_CHECK_MS,
): RetentionSchedule {
  const look = (): void => {
    try {
      const last = deps.settings.get().retentionRanAt;
      if (last !== null && Date.now() - Date.parse(last) < DAY_MS) return;
      handlers.onRun?.(runRetention(deps));
    } catch (e) {
      handlers.onError?.(e);
    }
  };
  const first = setTimeout(look, 0);
  const timer = setInterval(look, checkMs);
  first.unref();
  timer.unref();
  return {
    stop: () => {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
