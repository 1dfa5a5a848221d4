// Browser sessions: a random token in an httpOnly cookie, and a CSRF token the page sends back in a header
// on every write (a cross-site form can carry the cookie but cannot read the token).
import { statement, type Db } from '../../gallery/database.js';
import { randomToken, secretHash } from './tokens.js';
import type { User, Users } from './users.js';

export const SESSION_COOKIE = 'visage_session';
export const SESSION_TTL_MS = 7 * 24 * 3600_000;
/** A session in use is extended, at most once per this period (saves a write per request). */
const RENEW_AFTER_MS = 3600_000;

export interface Session {
  user: User;
  csrfToken: string;
  expiresAt: number;
}

interface SessionRow {
  user_id: number;
  csrf_token: string;
  expires_at: number;
}

export class Sessions {
  constructor(
    private readonly db: Db,
    private readonly users: Users,
  ) {}

  create(user: User): Session & { token: string } {
    const token = randomToken();
    const csrfToken = randomToken();
    const now = Date.now();
    statement(this.db, 'DELETE FROM sessions WHERE expires_at <= ?').run(now);
    statement(
      this.db,
      'INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    ).run(secretHash(token), user.id, csrfToken, now, now + SESSION_TTL_MS);
    return { token, user, csrfToken, expiresAt: now + SESSION_TTL_MS };
  }

  /** The live session of a cookie token, extended while in use; undefined when unknown or expired. */
  find(token: string): Session | undefined {
    const hash = secretHash(token);
    const row = statement(
      this.db,
      'SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = ?',
    ).get(hash) as SessionRow | undefined;
    const now = Date.now();
    if (!row || row.expires_at <= now) return undefined;
    const user = this.users.get(row.user_id);
    if (!user) return undefined;
    let expiresAt = row.expires_at;
    if (now + SESSION_TTL_MS - expiresAt > RENEW_AFTER_MS) {
      expiresAt = now + SESSION_TTL_MS;
      statement(this.db, 'UPDATE sessions SET expires_at = ? WHERE token_hash = ?').run(expiresAt, hash);
    }
    return { user, csrfToken: row.csrf_token, expiresAt };
  }

  delete(token: string): void {
    statement(this.db, 'DELETE FROM sessions WHERE token_hash = ?').run(secretHash(token));
  }
}
