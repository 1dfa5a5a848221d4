// Everything the server knows about who may do what, on the gallery's database connection (whose schema,
// applied by openDatabase, includes the auth tables: see schema.ts).
import type { Db } from '../../gallery/database.js';
import { ApiKeys } from './api-keys.js';
import { assertAuthSchema } from './schema.js';
import { Sessions } from './sessions.js';
import { Users } from './users.js';

export class AuthStore {
  readonly users: Users;
  readonly sessions: Sessions;
  readonly apiKeys: ApiKeys;

  constructor(db: Db) {
    assertAuthSchema(db);
    this.users = new Users(db);
    this.sessions = new Sessions(db, this.users);
    this.apiKeys = new ApiKeys(db);
  }

  /** VISAGE_ADMIN_PASSWORD: creates the admin at start instead of first-run setup (no-op once one exists). */
  async ensureAdmin(password: string | undefined): Promise<boolean> {
    if (!password || this.users.hasAdmin()) return false;
    await this.users.createFirstAdmin(password);
    return true;
  }
}
