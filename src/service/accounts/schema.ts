// The server's own tables (users, sessions, API keys) are kept in the gallery's database, so that one data
// directory holds everything, and in its one versioned schema: migration v2 of src/gallery/migrations.ts,
// applied by openDatabase like every other table. (Up to release 4fa47d3 the server created them here, ad
// hoc, when it started; that migration accepts databases that already have them.) This module only checks
// that the connection it is given was opened that way, so a mistake fails at start with a clear message
// rather than with "no such table: users" at the first login.
import { tableNames, type Db } from '../../gallery/database.js';

const AUTH_TABLES = ['users', 'sessions', 'api_keys'];

export function assertAuthSchema(db: Db): void {
  const present = new Set(tableNames(db));
  const missing = AUTH_TABLES.filter((t) => !present.has(t));
  if (missing.length > 0) {
    throw new Error(
      `${db.name} lacks the auth tables (${missing.join(', ')}): open it with openDatabase (src/gallery/database.ts), which applies the schema`,
    );
  }
}
