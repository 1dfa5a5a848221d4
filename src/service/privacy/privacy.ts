// Privacy verbs for the CLI and the HTTP API: forget a person, export a person's data, the retention
// settings and the retention job (forget.ts, person-export.ts, retention.ts, settings.ts). By name (the
// CLI) or by id (the HTTP API), as people/people.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChangeContext, Gallery } from '../../gallery/gallery.js';
import type { ExportReport } from '../archive/archive.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { People } from '../people/people.js';
import { forget, type ForgetReport } from './forget.js';
import { exportPerson } from './person-export.js';
import {
  runRetention,
  scheduleRetention,
  type RetentionReport,
  type RetentionSchedule,
} from './retention.js';
import { PrivacySettingsStore, type PrivacySettings, type PrivacySettingsChange } from './settings.js';

export type { ForgetReport, PrivacySettings, PrivacySettingsChange, RetentionReport, RetentionSchedule };

export class Privacy {
  private readonly store: PrivacySettingsStore;

  constructor(
    private readonly deps: {
      gallery: Gallery;
      people: People;
      /** The job queue: jobs about a forgotten person go with them. */
      jobs: JobQueue;
      /**
       * Told after a forget committed, to erase what lies outside the database (the MQTT broker's
       * retained state and Home Assistant sensors of the person: integrations/).
       */
      onForgotten?: (person: { id: number; name: string }) => void;
    },
  ) {
    this.store = new PrivacySettingsStore(deps.gallery.db);
  }

  /** What is kept and for how long, and whether a forget keeps the name in the audit log. */
  settings(): PrivacySettings {
    return this.store.get();
  }

  /** Errors: `invalid_retention`. Audited, without any person's data. */
  updateSettings(change: PrivacySettingsChange, context: ChangeContext = {}): PrivacySettings {
    return this.deps.gallery.db.transaction(() => {
      const settings = this.store.set(change);
      this.deps.gallery.audit.append('privacy.settings', { ...change }, context.actor ?? null);
      return settings;
    })();
  }

  /** Forgets the person with this name (see forget.ts). Errors: `person_not_found`. */
  forget(name: string, context: ChangeContext = {}): ForgetReport {
    return this.forgetById(this.deps.people.find(name).id, context);
  }

  forgetById(personId: number, context: ChangeContext = {}): ForgetReport {
    const report = forget(
      { gallery: this.deps.gallery, settings: this.store, jobs: this.deps.jobs },
      personId,
      context,
    );
    this.deps.onForgotten?.(report.forgotten);
    return report;
  }

  /** Writes the named person's archive to `file`. Errors: `person_not_found`, `file_unwritable`. */
  exportPerson(name: string, file: string): ExportReport {
    return exportPerson(this.deps.gallery, this.deps.people.find(name).id, file);
  }

  /**
   * The archive of person `personId` in a new private temporary folder, for a download: the caller
   * streams `file` and calls `remove` when done (the folder goes with it).
   */
  exportPersonToTemp(personId: number): { file: string; report: ExportReport; remove: () => void } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-person-'));
    const remove = () => fs.rmSync(dir, { recursive: true, force: true });
    try {
      const file = path.join(dir, `person-${personId}.tar`);
      return { file, report: exportPerson(this.deps.gallery, personId, file), remove };
    } catch (e) {
      remove();
      throw e;
    }
  }

  /** Removes what is older than the settings allow (see retention.ts). */
  runRetention(now = Date.now()): RetentionReport {
    return runRetention({ gallery: this.deps.gallery, settings: this.store }, now);
  }

  /** The daily retention job of a server (see scheduleRetention). */
  scheduleRetention(
    handlers: Parameters<typeof scheduleRetention>[1] = {},
    checkMs?: number,
  ): RetentionSchedule {
    return scheduleRetention({ gallery: this.deps.gallery, settings: this.store }, handlers, checkMs);
  }
}
