// Accounts of the web app: an `admin` created at first run (no default credentials) and any viewers or
// admins it adds. Names are short identifiers, compared case-insensitively.
import { statement, type Db } from '../../gallery/database.js';
import { AuditLog } from '../../gallery/audit-log.js';
import { VisageError } from '../../errors.js';
import { checkNewPassword, dummyHash, hashPassword, verifyPassword } from './passwords.js';
import { LoginThrottle } from './throttle.js';

// The roles are the API contract's.
import type { Role } from '../../api/index.js';
export type { Role } from '../../api/index.js';

/** The account that first-run setup (or VISAGE_ADMIN_PASSWORD) creates. */
export const FIRST_ADMIN = 'admin';

const NAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;

export interface User {
  id: number;
  name: string;
  role: Role;
  createdAt: number;
}

interface UserRow {
  id: number;
  name: string;
  role: Role;
  password_hash: string;
  created_at: number;
}

const toUser = (r: UserRow): User => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at });

export class Users {
  private readonly throttle: LoginThrottle;
  private readonly audit: AuditLog;

  constructor(
    private readonly db: Db,
    options: { throttle?: LoginThrottle } = {},
  ) {
    this.throttle = options.throttle ?? new LoginThrottle();
    this.audit = new AuditLog(db);
  }

  hasAdmin(): boolean {
    return statement(this.db, "SELECT 1 FROM users WHERE role = 'admin' LIMIT 1").get() !== undefined;
  }

  /** Errors: `invalid_username`, `invalid_password`, `username_taken`. */
  async create(name: string, password: string, role: Role): Promise<User> {
    checkName(name);
    checkNewPassword(password);
    const hash = await hashPassword(password);
    return this.db.transaction(() => this.insert(name, hash, role)).immediate();
  }

  /**
   * Creates the first admin, unless an admin exists (`already_set_up`): the check and the insert share
   * one write transaction, so two browsers racing through setup cannot both win.
   */
  async createFirstAdmin(password: string): Promise<User> {
    checkNewPassword(password);
    const hash = await hashPassword(password);
    return this.db
      .transaction(() => {
        if (this.hasAdmin())
          throw new VisageError('already_set_up', 'Visage is already set up; log in instead.');
        return this.insert(FIRST_ADMIN, hash, 'admin');
      })
      .immediate();
  }

  /** The user when name and password match; otherwise undefined after the same amount of work. */
  async authenticate(name: string, password: string): Promise<User | undefined> {
    const row = statement(this.db, 'SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
    const ok = await verifyPassword(password, row?.password_hash ?? (await dummyHash()));
    return row && ok ? toUser(row) : undefined;
  }

  /**
   * A login attempt from `address`: `authenticate` behind the throttle (throttle.ts), with failures and
   * lockouts in the audit log. Errors: `too_many_attempts` (details.retryAfterS; the password is not
   * checked), `bad_credentials`.
   */
  async login(name: string, password: string, address: string): Promise<User> {
    const refused = this.throttle.begin(name, address);
    if (refused) {
      const retryAfterS = Math.ceil(refused.retryAfterMs / 1000);
      // Once per lockout: refused tries during it would otherwise let anyone fill the log.
      if (refused.first)
        this.audit.append('auth.login.locked', {
          user: name.slice(0, 64),
          address,
          scope: refused.scope,
          retryAfterS,
        });
      throw new VisageError(
        'too_many_attempts',
        `Too many failed logins ${refused.scope === 'account' ? 'for this account' : 'from this address'}; try again in ${retryAfterS} s.`,
        { retryAfterS, scope: refused.scope },
      );
    }
    const user = await this.authenticate(name, password);
    if (user) {
      this.throttle.succeeded(name, address);
      return user;
    }
    this.audit.append('auth.login.failed', {
      user: name.slice(0, 64),
      address,
      failures: this.throttle.failures(name),
    });
    throw new VisageError('bad_credentials', 'Wrong user name or password.');
  }

  get(id: number): User | undefined {
    const row = statement(this.db, 'SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
    return row && toUser(row);
  }

  list(): User[] {
    return (statement(this.db, 'SELECT * FROM users ORDER BY name').all() as UserRow[]).map(toUser);
  }

  /** Deletes a user and their sessions. Errors: `user_not_found`, `last_admin` (Visage would be locked). */
  delete(name: string): User {
    return this.db
      .transaction(() => {
        const row = statement(this.db, 'SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
        if (!row) throw new VisageError('user_not_found', `No user named "${name}".`, { name });
        const admins = statement(
          this.db,
          "SELECT COUNT(*) FROM users WHERE role = 'admin'",
          'pluck',
        ).get() as number;
        if (row.role === 'admin' && admins === 1) {
          throw new VisageError(
            'last_admin',
            'This is the last admin; create another admin before deleting it.',
            { name },
          );
        }
        statement(this.db, 'DELETE FROM users WHERE id = ?').run(row.id);
        return toUser(row);
      })
      .immediate();
  }

  private insert(name: string, hash: string, role: Role): User {
    if (statement(this.db, 'SELECT 1 FROM users WHERE name = ?').get(name)) {
      throw new VisageError('username_taken', `The user name "${name}" is taken.`, { name });
    }
    const { lastInsertRowid } = statement(
      this.db,
      'INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)',
    ).run(name, role, hash, Date.now());
    return this.get(Number(lastInsertRowid))!;
  }
}

function checkName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new VisageError(
      'invalid_username',
      'A user name has 1 to 64 characters among letters A–Z, digits and . _ @ -.',
      { name: name.slice(0, 100) },
    );
  }
}
