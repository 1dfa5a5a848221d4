// API keys for programs: created by an admin with a role, shown once, stored as SHA-256, revocable.
import { statement, type Db } from '../../gallery/database.js';
import { VisageError } from '../../errors.js';
import { randomToken, secretHash } from './tokens.js';
import type { Role } from './users.js';

/** Recognisable in logs and secret scanners; the rest is 32 random bytes. */
const KEY_PREFIX = 'vsk_';
/** last_used_at is updated at most this often per key (a busy client would otherwise write on every call). */
const USE_RESOLUTION_MS = 60_000;

export interface ApiKey {
  id: number;
  name: string;
  role: Role;
  createdAt: number;
  lastUsedAt: number | null;
}

interface ApiKeyRow {
  id: number;
  name: string;
  role: Role;
  created_at: number;
  last_used_at: number | null;
}

const toKey = (r: ApiKeyRow): ApiKey => ({
  id: r.id,
  name: r.name,
  role: r.role,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

const COLUMNS = 'id, name, role, created_at, last_used_at';

export class ApiKeys {
  constructor(private readonly db: Db) {}

  /** Errors: `invalid_key_name`. */
  create(rawName: string, role: Role): ApiKey & { key: string } {
    const name = rawName.normalize('NFC').trim();
    if (!name || [...name].length > 100 || /\p{Cc}/u.test(name)) {
      throw new VisageError(
        'invalid_key_name',
        'An API key name has 1 to 100 characters and no control characters.',
      );
    }
    const key = randomToken(KEY_PREFIX);
    const { lastInsertRowid } = statement(
      this.db,
      'INSERT INTO api_keys (name, role, key_hash, created_at) VALUES (?, ?, ?, ?)',
    ).run(name, role, secretHash(key), Date.now());
    return { ...this.require(Number(lastInsertRowid)), key };
  }

  list(): ApiKey[] {
    return (statement(this.db, `SELECT ${COLUMNS} FROM api_keys ORDER BY id`).all() as ApiKeyRow[]).map(
      toKey,
    );
  }

  /** Errors: `api_key_not_found`. */
  revoke(id: number): void {
    if (statement(this.db, 'DELETE FROM api_keys WHERE id = ?').run(id).changes === 0) {
      throw new VisageError('api_key_not_found', `No API key with id ${id}.`, { id });
    }
  }

  /** The key's record when it is valid (and notes the use), else undefined. */
  verify(key: string): ApiKey | undefined {
    if (!key.startsWith(KEY_PREFIX)) return undefined;
    const row = statement(this.db, `SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ?`).get(
      secretHash(key),
    ) as ApiKeyRow | undefined;
    if (!row) return undefined;
    const now = Date.now();
    if (row.last_used_at === null || now - row.last_used_at > USE_RESOLUTION_MS) {
      statement(this.db, 'UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(now, row.id);
      row.last_used_at = now;
    }
    return toKey(row);
  }

  private require(id: number): ApiKey {
    const row = statement(this.db, `SELECT ${COLUMNS} FROM api_keys WHERE id = ?`).get(id) as
      ApiKeyRow | undefined;
    if (!row) throw new VisageError('api_key_not_found', `No API key with id ${id}.`, { id });
    return toKey(row);
  }
}
