// The server's own tables (users, sessions, API keys), kept in the gallery's database so that one data
// directory holds everything. They are not part of the gallery schema (src/gallery/migrations.ts): the CLI
// never needs them, so the server creates them when it starts, idempotently.
import type { Db } from '../../gallery/database.js';

export function applyAuthSchema(db: Db): void {
  db.transaction(() =>
    db.exec(`
      CREATE TABLE IF NOT EXISTS users (
        id             INTEGER PRIMARY KEY,
        name           TEXT NOT NULL UNIQUE COLLATE NOCASE,
        role           TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
        password_hash  TEXT NOT NULL,      -- passwords.ts: scrypt with its parameters and salt
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
    `),
  ).immediate();
}
