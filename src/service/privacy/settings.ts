// The privacy settings of a data directory (one row of privacy_settings, migrations.ts): how many days
// events and unknown faces are kept (null: kept until deleted), and whether forgetting a person keeps
// their name in the audit log. The CLI (`visage retention`) and the server's settings page change them;
// the retention job and forget read them at each run, so a change by another process applies at once.
import { statement, type Db } from '../../gallery/database.js';
import { VisageError } from '../../errors.js';
import { iso } from '../json.js';

export interface PrivacySettings {
  /** Events (with their snapshots) older than this many days are removed; null keeps them. */
  eventDays: number | null;
  /** Unknown faces (events nobody was recognised in) older than this are removed; null keeps them. */
  unknownDays: number | null;
  /** Forgetting a person keeps their name and id in the audit log (default false: only that it happened). */
  forgetAuditNames: boolean;
  /** When the retention job last ran (ISO 8601), or null. */
  retentionRanAt: string | null;
}

export type PrivacySettingsChange = Partial<Omit<PrivacySettings, 'retentionRanAt'>>;

/** Longest retention a setting may name: 100 years, so that `now - days` stays a sane time. */
export const MAX_RETENTION_DAYS = 36_500;

interface SettingsRow {
  event_days: number | null;
  unknown_days: number | null;
  forget_audit_names: number;
  retention_ran_at: number | null;
}

export class PrivacySettingsStore {
  constructor(private readonly db: Db) {}

  get(): PrivacySettings {
    const row = statement(this.db, 'SELECT * FROM privacy_settings WHERE id = 1').get() as SettingsRow;
    return {
      eventDays: row.event_days,
      unknownDays: row.unknown_days,
      forgetAuditNames: row.forget_audit_names === 1,
      retentionRanAt: row.retention_ran_at === null ? null : iso(row.retention_ran_at),
    };
  }

  /** Changes the given settings. Errors: `invalid_retention` (days not a whole number in 1…36500). */
  set(change: PrivacySettingsChange, now = Date.now()): PrivacySettings {
    for (const key of ['eventDays', 'unknownDays'] as const) {
      const days = change[key];
      if (
        days !== undefined &&
        days !== null &&
        !(Number.isInteger(days) && days >= 1 && days <= MAX_RETENTION_DAYS)
      )
        throw new VisageError(
          'invalid_retention',
          `${key} must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, or keep (null); got ${String(days)}`,
          { [key]: days },
        );
    }
    const current = this.get();
    statement(
      this.db,
      `UPDATE privacy_settings SET event_days = ?, unknown_days = ?, forget_audit_names = ?, updated_at = ?
         WHERE id = 1`,
    ).run(
      change.eventDays === undefined ? current.eventDays : change.eventDays,
      change.unknownDays === undefined ? current.unknownDays : change.unknownDays,
      (change.forgetAuditNames ?? current.forgetAuditNames) ? 1 : 0,
      now,
    );
    return this.get();
  }

  markRetentionRun(now: number): void {
    statement(this.db, 'UPDATE privacy_settings SET retention_ran_at = ? WHERE id = 1').run(now);
  }
}
