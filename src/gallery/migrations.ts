// Schema of visage.db, as an append-only list: migration i (1-based) turns version i-1 into version i.
// Never edit a released migration; add a new one. Each runs in its own transaction (database.ts).
//
// Conventions: times are INTEGER milliseconds since the Unix epoch (UTC); vectors are BLOBs of
// little-endian float32 (vectors.ts), stored as the model produced them (the index normalises);
// boxes and quality are JSON text; every foreign-key column is indexed, so deleting a parent never
// scans a child table.
// Written in SQLite's dialect; on PostgreSQL, exec translates it (postgres/dialect.ts translateSchema).
// The connection as a migration needs it, not database.ts's Db: database.ts imports this list, so
// importing it back would be the one import circle of src/gallery.
export type Migration = (db: { exec(sql: string): unknown }) => void;

const v1: Migration = (db) =>
  db.exec(`
    CREATE TABLE people (
      id          INTEGER PRIMARY KEY,
      name        TEXT NOT NULL,            -- display form, names.ts normalizePersonName
      name_key    TEXT NOT NULL UNIQUE,     -- names.ts nameKey: case- and width-insensitive uniqueness
      note        TEXT NOT NULL DEFAULT '',
      created_at  INTEGER NOT NULL,
      updated_at  INTEGER NOT NULL
    );

    -- One enrolled face. content_hash identifies the source content (see samples-repository.ts);
    -- the same content twice for one person is a duplicate, for two people it is allowed (group photos).
    CREATE TABLE samples (
      id            INTEGER PRIMARY KEY,
      person_id     INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
      source_name   TEXT NOT NULL DEFAULT '',
      content_hash  TEXT NOT NULL,
      crop_jpeg     BLOB,
      box           TEXT,                   -- JSON {x, y, width, height} in source-image pixels
      quality       TEXT,                   -- JSON, as measured by the engine
      created_at    INTEGER NOT NULL,
      UNIQUE (person_id, content_hash)
    );
    CREATE INDEX samples_content_hash ON samples (content_hash);

    -- One vector per sample and model: a model switch re-embeds the stored crops without losing the old.
    CREATE TABLE embeddings (
      sample_id  INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
      model_id   TEXT NOT NULL,
      dim        INTEGER NOT NULL,
      vector     BLOB NOT NULL,
      PRIMARY KEY (sample_id, model_id)
    );
    CREATE INDEX embeddings_model ON embeddings (model_id);

    -- Recognitions. person_id NULL = unknown (also after the person is deleted). The embedding is kept
    -- so a correction ("this was X" / "not X") can enrol or veto without re-running the models.
    CREATE TABLE events (
      id             INTEGER PRIMARY KEY,
      time           INTEGER NOT NULL,      -- when it was recognised
      source         TEXT NOT NULL,         -- file path, URL or camera name as given
      offset_s       REAL,                  -- seconds from the start of a video or stream, NULL for stills
      frame          INTEGER,
      box            TEXT NOT NULL,         -- JSON {x, y, width, height}
      person_id      INTEGER REFERENCES people(id) ON DELETE SET NULL,
      score          REAL,
      distance       REAL,
      snapshot_jpeg  BLOB,
      model_id       TEXT,
      embedding      BLOB
    );
    CREATE INDEX events_time ON events (time);
    CREATE INDEX events_person_time ON events (person_id, time);
    CREATE INDEX events_source_time ON events (source, time);

    -- "This face is not that person": a match to person_id closer than the caller's threshold is vetoed.
    CREATE TABLE negatives (
      id          INTEGER PRIMARY KEY,
      person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
      model_id    TEXT NOT NULL,
      dim         INTEGER NOT NULL,
      vector      BLOB NOT NULL,
      event_id    INTEGER REFERENCES events(id) ON DELETE SET NULL,
      created_at  INTEGER NOT NULL
    );
    CREATE INDEX negatives_person ON negatives (person_id, model_id);
    CREATE INDEX negatives_event ON negatives (event_id);

    CREATE TABLE audit (
      id       INTEGER PRIMARY KEY,
      time     INTEGER NOT NULL,
      actor    TEXT,                        -- API user or NULL for the local CLI
      action   TEXT NOT NULL,               -- e.g. person.create, sample.remove
      details  TEXT NOT NULL DEFAULT '{}'   -- JSON
    );
    CREATE INDEX audit_time ON audit (time);

    -- Resumable bulk import: a file already handled (same path and same content) is skipped on rerun.
    CREATE TABLE import_progress (
      file_path     TEXT NOT NULL,
      content_hash  TEXT NOT NULL,
      status        TEXT NOT NULL CHECK (status IN ('done', 'skipped', 'failed')),
      message       TEXT,
      updated_at    INTEGER NOT NULL,
      PRIMARY KEY (file_path, content_hash)
    );

    -- Bumped by triggers on every change that affects an in-memory index (vectors, sample owners,
    -- negatives, deleted people), so a process notices another process's enrolments (gallery.ts).
    CREATE TABLE gallery_generation (
      id     INTEGER PRIMARY KEY CHECK (id = 1),
      value  INTEGER NOT NULL
    );
    INSERT INTO gallery_generation (id, value) VALUES (1, 0);
    CREATE TRIGGER embeddings_insert_generation AFTER INSERT ON embeddings
      BEGIN UPDATE gallery_generation SET value = value + 1; END;
    CREATE TRIGGER embeddings_update_generation AFTER UPDATE ON embeddings
      BEGIN UPDATE gallery_generation SET value = value + 1; END;
    CREATE TRIGGER embeddings_delete_generation AFTER DELETE ON embeddings
      BEGIN UPDATE gallery_generation SET value = value + 1; END;
    CREATE TRIGGER samples_move_generation AFTER UPDATE OF person_id ON samples
      BEGIN UPDATE gallery_generation SET value = value + 1; END;
    CREATE TRIGGER negatives_insert_generation AFTER INSERT ON negatives
      BEGIN UPDATE gallery_generation SET value = value + 1; END;
    CREATE TRIGGER negatives_update_generation AFTER UPDATE ON negatives
      BEGIN UPDATE gallery_generation SET value = value + 1; END;
    CREATE TRIGGER negatives_delete_generation AFTER DELETE ON negatives
      BEGIN UPDATE gallery_generation SET value = value + 1; END;
  `);

// The server's accounts (users, sessions, API keys). Releases up to 4fa47d3 created these tables ad hoc
// when the server started (server/auth/schema.ts), outside the version count, so a database may reach
// this migration with them already there, or (a CLI-only data directory) without: IF NOT EXISTS makes
// both end in the same schema. The ad hoc DDL was identical in every release that had it, so an existing
// table is the table this migration would create. Kept in the one list (issue 8): one mechanism for every
// table of the file, and `database_too_new` now protects the server's tables too.
const v2: Migration = (db) =>
  db.exec(`
    CREATE TABLE IF NOT EXISTS users (
      id             INTEGER PRIMARY KEY,
      name           TEXT NOT NULL UNIQUE COLLATE NOCASE,
      role           TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
      password_hash  TEXT NOT NULL,      -- server/auth/passwords.ts: scrypt with its parameters and salt
      created_at     INTEGER NOT NULL
    );

    -- The cookie carries a random token; only its SHA-256 is stored, so a copy of the database
    -- does not let anyone in.
    CREATE TABLE IF NOT EXISTS sessions (
      token_hash  TEXT PRIMARY KEY,
      user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      csrf_token  TEXT NOT NULL,
      created_at  INTEGER NOT NULL,
      expires_at  INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);

    -- Same for API keys: shown once when created, stored as SHA-256.
    CREATE TABLE IF NOT EXISTS api_keys (
      id            INTEGER PRIMARY KEY,
      name          TEXT NOT NULL,
      role          TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
      key_hash      TEXT NOT NULL UNIQUE,
      created_at    INTEGER NOT NULL,
      last_used_at  INTEGER
    );
  `);

// Cameras the server watches (service/video/cameras.ts), kept so the list survives restarts. Created ad
// hoc by the Cameras constructor up to 4fa47d3: IF NOT EXISTS for the same reason as v2.
const v3: Migration = (db) =>
  db.exec(`
    CREATE TABLE IF NOT EXISTS cameras (
      id          INTEGER PRIMARY KEY,
      name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
      url         TEXT NOT NULL,       -- may hold a stream password; masked whenever shown
      created_at  INTEGER NOT NULL
    );
  `);

// Names live in memory next to the index, so identify never reads SQLite (gallery.ts). A second counter
// tells another process's renames (and new or deleted people) apart from index changes: bumping `value`
// instead would make every process reload every vector (7.5 s per million) for a rename, which only
// needs the one people query. Existing databases start at 0; only changes matter, not the value.
const v4: Migration = (db) =>
  db.exec(`
    ALTER TABLE gallery_generation ADD COLUMN names INTEGER NOT NULL DEFAULT 0;
    CREATE TRIGGER people_insert_names AFTER INSERT ON people
      BEGIN UPDATE gallery_generation SET names = names + 1; END;
    CREATE TRIGGER people_rename_names AFTER UPDATE OF name ON people
      BEGIN UPDATE gallery_generation SET names = names + 1; END;
    CREATE TRIGGER people_delete_names AFTER DELETE ON people
      BEGIN UPDATE gallery_generation SET names = names + 1; END;
  `);

// A security level per camera (strict / balanced / lenient, recognize/decision.ts): a door may want
// strict while a lobby counts people at lenient. Existing cameras keep the default, balanced.
const v5: Migration = (db) =>
  db.exec(`
    ALTER TABLE cameras ADD COLUMN level TEXT NOT NULL DEFAULT 'balanced'
      CHECK (level IN ('strict', 'balanced', 'lenient'));
  `);

// Integrations (service/integrations/): settings (MQTT, Frigate) as JSON per key; webhook
// subscriptions and their deliveries, a delivery that ran out of retries kept as a dead letter
// (state 'dead'); and which stored events came from which Frigate event. Deliveries and Frigate links
// go with their event (ON DELETE CASCADE): a payload holds the person's name, so forgetting a person or
// expiring old events must take it too.
const integrations: Migration = (db) =>
  db.exec(`
    CREATE TABLE integration_settings (
      key         TEXT PRIMARY KEY,
      value       TEXT NOT NULL,       -- JSON; an MQTT password is kept here, never shown by the API
      updated_at  INTEGER NOT NULL
    );

    CREATE TABLE webhooks (
      id          INTEGER PRIMARY KEY,
      url         TEXT NOT NULL,
      secret      TEXT NOT NULL,       -- HMAC-SHA256 key of the signature; shown once, when created
      named       INTEGER NOT NULL DEFAULT 1,    -- send faces that were named
      people      TEXT NOT NULL DEFAULT '[]',    -- JSON names; empty: anyone named
      unknown     INTEGER NOT NULL DEFAULT 1,    -- send unknown faces
      cameras     TEXT NOT NULL DEFAULT '[]',    -- JSON sources; empty: any
      enabled     INTEGER NOT NULL DEFAULT 1,
      created_at  INTEGER NOT NULL
    );

    CREATE TABLE webhook_deliveries (
      id               INTEGER PRIMARY KEY,
      webhook_id       INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
      event_id         INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
      payload          TEXT NOT NULL,
      state            TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
      attempts         INTEGER NOT NULL DEFAULT 0,
      last_status      INTEGER,        -- HTTP status of the last attempt; null: no answer
      last_error       TEXT,
      next_attempt_at  INTEGER,        -- when pending: due time, or the lease of the process sending it
      created_at       INTEGER NOT NULL,
      finished_at      INTEGER
    );
    CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
    CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);

    CREATE TABLE frigate_events (
      event_id    INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
      frigate_id  TEXT NOT NULL,
      camera      TEXT NOT NULL
    );
    CREATE INDEX frigate_events_frigate ON frigate_events (frigate_id);
  `);

// Privacy (service/privacy/): how long events and unknown faces are kept (days; NULL keeps them), when
// the retention job last ran, and whether forgetting a person keeps their name in the audit log. One
// row, created with the defaults README states (events 90 days, unknown faces 30 days, names not kept).
const privacy: Migration = (db) =>
  db.exec(`
    CREATE TABLE privacy_settings (
      id                    INTEGER PRIMARY KEY CHECK (id = 1),
      event_days            INTEGER CHECK (event_days > 0),
      unknown_days          INTEGER CHECK (unknown_days > 0),
      forget_audit_names    INTEGER NOT NULL DEFAULT 0,
      retention_ran_at      INTEGER,
      updated_at            INTEGER NOT NULL
    );
    INSERT INTO privacy_settings (id, event_days, unknown_days, updated_at) VALUES (1, 90, 30, 0);
  `);

// Unknown faces grouped by likeness (service/unknowns/): a cluster per embedder (its members' vectors are
// that model's), numbered "Unknown #N" once it has enough faces; numbers are never reused, so a cluster
// row that has one is never deleted (a merged cluster stays, empty, as status 'merged'). A member is an
// event; it stops counting as soon as its event names someone (read through events.person_id, so a
// correction made anywhere takes the face out). events.content_hash: the recognised image's decoded
// pixels (SHA-256), so recognising the same image again finds its events instead of adding copies.
const unknownClusters: Migration = (db) =>
  db.exec(`
    CREATE TABLE unknown_clusters (
      id          INTEGER PRIMARY KEY,
      number      INTEGER UNIQUE,        -- "Unknown #N"; NULL while the cluster is too small to show
      model_id    TEXT NOT NULL,
      status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'named', 'merged')),
      person_id   INTEGER REFERENCES people(id) ON DELETE SET NULL,            -- named: as whom
      merged_into INTEGER REFERENCES unknown_clusters(id) ON DELETE SET NULL,  -- merged: into which
      created_at  INTEGER NOT NULL,
      updated_at  INTEGER NOT NULL
    );
    CREATE INDEX unknown_clusters_model ON unknown_clusters (model_id, status);
    CREATE INDEX unknown_clusters_person ON unknown_clusters (person_id);
    CREATE INDEX unknown_clusters_merged ON unknown_clusters (merged_into);

    CREATE TABLE unknown_faces (
      event_id    INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
      cluster_id  INTEGER NOT NULL REFERENCES unknown_clusters(id) ON DELETE CASCADE,
      added_at    INTEGER NOT NULL
    );
    CREATE INDEX unknown_faces_cluster ON unknown_faces (cluster_id, event_id);

    ALTER TABLE events ADD COLUMN content_hash TEXT;
    CREATE INDEX events_content_hash ON events (content_hash);
  `);

// Camera leases (service/video/cameras.ts): several `visage serve` nodes share one store, and each camera
// is watched by exactly one of them. `wanted` is whether it should be watched (start/stop; kept so it
// survives restarts and moves between nodes; existing cameras start unwatched, as every camera did after
// a restart before); `lease_node` the node watching it, until `lease_until` (ms): past that, any node may
// take it. No index: a site has tens of cameras, and the lease loop reads them all anyway.
const cameraLeases: Migration = (db) =>
  db.exec(`
    ALTER TABLE cameras ADD COLUMN wanted INTEGER NOT NULL DEFAULT 0 CHECK (wanted IN (0, 1));
    ALTER TABLE cameras ADD COLUMN lease_node TEXT;
    ALTER TABLE cameras ADD COLUMN lease_until INTEGER;
  `);

// Background jobs (service/jobs/): video files, bulk imports, reindex and re-clustering, queued in the
// store so any node or `visage worker` may run them, and their progress is read from any node. A job is
// claimed with a lease (`lease_node` until `lease_until`, ms), as cameras are: a runner that dies stops
// renewing, and another claims the job again (`attempts` counts the claims). `params`, `progress`,
// `result` and `error` are JSON. `committed` is set in the same transaction as the job's effects on the
// gallery, so a job claimed again after a crash never stores them twice. The job's files (an uploaded
// video or import, the annotated copy) live in `job_files` as chunks, so a runner on another machine
// reads them from the store; they go with their job.
const jobs: Migration = (db) =>
  db.exec(`
    CREATE TABLE jobs (
      id          TEXT PRIMARY KEY,
      kind        TEXT NOT NULL CHECK (kind IN ('video', 'import', 'reindex', 'recluster')),
      state       TEXT NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
      params      TEXT NOT NULL,
      progress    TEXT,
      result      TEXT,
      error       TEXT,
      attempts    INTEGER NOT NULL DEFAULT 0,
      committed   INTEGER NOT NULL DEFAULT 0 CHECK (committed IN (0, 1)),
      cancel      INTEGER NOT NULL DEFAULT 0 CHECK (cancel IN (0, 1)),
      lease_node  TEXT,
      lease_until INTEGER,
      created_at  INTEGER NOT NULL,
      updated_at  INTEGER NOT NULL
    );
    CREATE INDEX jobs_state ON jobs (state, created_at);
    CREATE INDEX jobs_kind ON jobs (kind, created_at);

    CREATE TABLE job_files (
      job_id      TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
      name        TEXT NOT NULL,
      seq         INTEGER NOT NULL,
      bytes       BLOB NOT NULL,
      PRIMARY KEY (job_id, name, seq)
    );
  `);

// What a job's commit returned (JSON; a video job's event ids), stored in the commit's transaction: a job
// run again after a crash between storing its effects and finishing reports the same ids, not none.
const jobCommits: Migration = (db) => db.exec(`ALTER TABLE jobs ADD COLUMN committed_effects TEXT;`);

/** All migrations, oldest first; the schema version of a database is how many of them it has applied. */
export const MIGRATIONS: readonly Migration[] = [
  v1,
  v2,
  v3,
  v4,
  v5,
  integrations,
  privacy,
  unknownClusters,
  cameraLeases,
  jobs,
  jobCommits,
];
