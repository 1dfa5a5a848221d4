// Issue 11, finding 6: login throttling (per account and per address, exponential backoff, lockout, in the
// audit log) and the password policy (12 characters, no common passwords, the reason in the message).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../src/gallery/database.js';
import { AuditLog } from '../src/gallery/audit-log.js';
import { AuthStore } from '../src/service/accounts/store.js';
import { Users } from '../src/service/accounts/users.js';
import { checkNewPassword } from '../src/service/accounts/passwords.js';
import { ACCOUNT_POLICY, delayMs, LoginThrottle } from '../src/service/accounts/throttle.js';
import { isVisageError } from '../src/errors.js';
import { errorCode, startServer } from './support/server.js';
import { tempDir } from './support/cli.js';

const RIGHT = 'the right password';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (!isVisageError(e)) throw e;
    return e.code;
  }
}

test('password policy: at least 12 characters and not a common password, with the reason in the message', () => {
  for (const [password, reason, message] of [
    ['password', 'too_short', /at least 12 characters/],
    ['12345678', 'too_short', /at least 12 characters/],
    ['elevenchars', 'too_short', /at least 12 characters/],
    ['password1234', 'common', /common passwords/],
    ['Password 1234', 'common', /common passwords/],
    ['123456789012', 'common', /common passwords/],
    ['aaaaaaaaaaaaaaaa', 'common', /common passwords/],
  ] as const) {
    assert.throws(
      () => checkNewPassword(password),
      (e: unknown) =>
        isVisageError(e) &&
        e.code === 'invalid_password' &&
        e.details['reason'] === reason &&
        message.test(e.message),
      password,
    );
  }
  for (const ok of ['viewer-password', 'correct horse battery', '一二三四五六七八九十十一十二'])
    checkNewPassword(ok);
});

test('backoff: free failures, then doubling waits up to the lockout window; a quiet key is forgotten', () => {
  assert.deepEqual(
    [4, 5, 6, 7, 8, 15, 40].map((f) => delayMs(ACCOUNT_POLICY, f)),
    [0, 0, 1000, 2000, 4000, 512_000, 15 * 60_000],
  );
  let now = 1_000_000;
  const t = new LoginThrottle(() => now);
  for (let i = 0; i < 5; i++) assert.equal(t.begin('Ada', '10.0.0.1'), null);
  assert.equal(t.begin('ada', '10.0.0.1'), null, 'the 6th attempt goes ahead (it waits afterwards)');
  const refused = t.begin('ADA', '10.0.0.2');
  assert.equal(refused?.scope, 'account', 'the account is locked from any address, whatever the case');
  assert.equal(refused?.retryAfterMs, 1000);
  now += 1000;
  assert.equal(t.begin('ada', '10.0.0.3'), null);
  assert.equal(t.begin('ada', '10.0.0.3')?.retryAfterMs, 2000);
  // Quiet for two lockout windows: forgotten.
  now += 2 * ACCOUNT_POLICY.maxDelayMs;
  for (let i = 0; i < 5; i++) assert.equal(t.begin('ada', '10.0.0.1'), null);
});

test('per address: one address trying many accounts is throttled too; a success undoes only its own attempt', () => {
  const now = 5_000_000;
  const t = new LoginThrottle(() => now);
  for (let i = 0; i < 21; i++) assert.equal(t.begin(`user${i}`, '192.0.2.7'), null);
  assert.equal(t.begin('someone-else', '192.0.2.7')?.scope, 'address');
  assert.equal(t.begin('someone-else', '192.0.2.8'), null, 'other addresses are not affected');
  const u = new LoginThrottle(() => now);
  assert.equal(u.begin('bob', '192.0.2.9'), null);
  u.succeeded('bob', '192.0.2.9');
  assert.equal(u.failures('bob'), 0);
});

test('40 wrong passwords in a row lock the account: the right one is refused until the wait is over; all audited', async () => {
  const db = openDatabase(tempDir('hardening-auth'));
  try {
    let now = 10_000_000;
    const users = new Users(db, { throttle: new LoginThrottle(() => now) });
    await users.createFirstAdmin(RIGHT);
    const codes: string[] = [];
    for (let i = 0; i < 40; i++)
      codes.push(await codeOf(users.login('admin', `wrong guess ${i}`, '127.0.0.1')));
    assert.deepEqual(codes.slice(0, 6), Array(6).fill('bad_credentials'));
    assert.ok(
      codes.slice(6).every((c) => c === 'too_many_attempts'),
      codes.join(' '),
    );
    assert.equal(await codeOf(users.login('admin', RIGHT, '127.0.0.1')), 'too_many_attempts');
    now += 1000;
    assert.equal(
      await codeOf(users.login('admin', RIGHT, '127.0.0.1')),
      'ok',
      'after the wait the right password works',
    );
    const audit = new AuditLog(db);
    assert.equal(audit.list({ action: 'auth.login.failed' }).length, 6);
    const locked = audit.list({ action: 'auth.login.locked' });
    assert.equal(locked.length, 1, 'one entry per lockout, not one per refused try');
    assert.equal(locked[0]!.details['user'], 'admin');
  } finally {
    db.close();
  }
});

test('30 wrong passwords in parallel are throttled like 30 in a row', async () => {
  const db = openDatabase(tempDir('hardening-auth-par'));
  try {
    // A clock that stands still: the six hashes checked in parallel take longer than the first 1 s wait.
    const users = new Users(db, { throttle: new LoginThrottle(() => 20_000_000) });
    await users.createFirstAdmin(RIGHT);
    const codes = await Promise.all(
      Array.from({ length: 30 }, (_, i) => codeOf(users.login('admin', `parallel guess ${i}`, '127.0.0.1'))),
    );
    assert.equal(codes.filter((c) => c === 'bad_credentials').length, 6, codes.join(' '));
    assert.equal(codes.filter((c) => c === 'too_many_attempts').length, 24);
    assert.equal(await codeOf(users.login('admin', RIGHT, '127.0.0.1')), 'too_many_attempts');
  } finally {
    db.close();
  }
});

test('POST /session: 401 then 429 with Retry-After and the error envelope; setup refuses a short password', async () => {
  const server = await startServer(import.meta.filename);
  try {
    const short = await server.anonymous.post('/setup', { password: 'password' });
    assert.equal(short.status, 400);
    assert.equal(errorCode(short), 'invalid_password');
    assert.match(short.body.error.message, /12 characters/);
    assert.equal((await server.anonymous.post('/setup', { password: RIGHT })).status, 201);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push(
        (await server.anonymous.post('/session', { username: 'admin', password: `nope ${i}` })).status,
      );
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429, 429]);
    const locked = await server.anonymous.post('/session', { username: 'admin', password: RIGHT });
    assert.equal(locked.status, 429);
    assert.equal(errorCode(locked), 'too_many_attempts');
    assert.ok(Number(locked.headers.get('retry-after')) >= 1);
  } finally {
    await server.close();
  }
});

test('the auth store keeps working with the throttle (store wiring unchanged)', () => {
  const db = openDatabase(tempDir('hardening-auth-store'));
  try {
    assert.ok(new AuthStore(db).users instanceof Users);
  } finally {
    db.close();
  }
});
