// Accounts and access over HTTP: first-run setup, sessions, CSRF, API keys, users and roles.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiClient,
  errorCode,
  keyClient,
  sessionCookie,
  setUpAdmin,
  startServer,
  type TestServer,
} from './support/server.js';

let server: TestServer;
let admin: ApiClient;

before(async () => {
  server = await startServer(import.meta.filename);
});
after(() => server.close());

test('first run: setup is needed, creates the admin once, and logs in', async () => {
  const anon = server.anonymous;
  assert.deepEqual((await anon.get('/setup')).body, { needsSetup: true });
  const short = await anon.post('/setup', { password: 'short' });
  assert.equal(short.status, 400);
  assert.equal(errorCode(short), 'invalid_password');

  admin = await setUpAdmin(server, 'first-admin-password');
  assert.deepEqual((await anon.get('/setup')).body, { needsSetup: false });
  const me = await admin.get('/session');
  assert.equal(me.status, 200);
  assert.deepEqual(me.body.user, { name: 'admin', role: 'admin' });
  assert.equal(me.body.csrfToken, admin.credentials.csrfToken);

  const again = await anon.post('/setup', { password: 'another-password' });
  assert.equal(again.status, 409);
  assert.equal(errorCode(again), 'already_set_up');
});

test('login sets an httpOnly SameSite=Strict cookie; wrong passwords and logout', async () => {
  const anon = server.anonymous;
  const wrong = await anon.post('/session', { username: 'admin', password: 'not-the-password' });
  assert.equal(wrong.status, 401);
  assert.equal(errorCode(wrong), 'bad_credentials');
  const nobody = await anon.post('/session', { username: 'nobody', password: 'first-admin-password' });
  assert.equal(errorCode(nobody), 'bad_credentials');

  const login = await anon.post('/session', { username: 'admin', password: 'first-admin-password' });
  assert.equal(login.status, 200);
  const setCookie = login.headers.getSetCookie().join('\n');
  assert.match(setCookie, /visage_session=[^;]+;.*HttpOnly/i);
  assert.match(setCookie, /SameSite=Strict/i);
  assert.match(setCookie, /Path=\//);
  const session = anon.with({ cookie: sessionCookie(login.headers), csrfToken: login.body.csrfToken });
  assert.equal((await session.get('/people')).status, 200);

  const logout = await session.delete('/session');
  assert.equal(logout.status, 204);
  const afterLogout = await session.get('/session');
  assert.equal(afterLogout.status, 401);
  assert.equal(errorCode(afterLogout), 'unauthenticated');
  assert.equal((await session.get('/people')).status, 401);
});

test('cookie sessions need the CSRF token on writes; reads do not', async () => {
  const noToken = admin.with({ cookie: admin.credentials.cookie });
  assert.equal((await noToken.get('/people')).status, 200);
  const refused = await noToken.post('/people', { name: 'Csrf Victim' });
  assert.equal(refused.status, 403);
  assert.equal(errorCode(refused), 'csrf_failed');
  const wrongToken = admin.with({ cookie: admin.credentials.cookie, csrfToken: 'x'.repeat(43) });
  assert.equal(errorCode(await wrongToken.post('/people', { name: 'Csrf Victim' })), 'csrf_failed');
  assert.equal((await admin.get('/people?search=csrf')).body.total, 0, 'nothing was created');

  const ok = await admin.post('/people', { name: 'Csrf Victim' });
  assert.equal(ok.status, 201);
  assert.equal((await admin.delete(`/people/${ok.body.id}`)).status, 204);
});

test('API keys: created with a role, shown once, listed without the secret, used without CSRF, revoked', async () => {
  const created = await admin.post('/api-keys', { name: 'camera script', role: 'admin' });
  assert.equal(created.status, 201);
  assert.match(created.body.key, /^vsk_[A-Za-z0-9_-]{43}$/);
  const key = new ApiClient(server.url, { apiKey: created.body.key });

  const person = await key.post('/people', { name: 'Made By Key' });
  assert.equal(person.status, 201, 'an API key needs no CSRF token');
  const listed = await admin.get('/api-keys');
  const entry = listed.body.items.find((k: { id: number }) => k.id === created.body.id);
  assert.equal(entry.name, 'camera script');
  assert.equal(entry.role, 'admin');
  assert.ok(entry.lastUsedAt, 'use is recorded');
  assert.ok(!listed.text.includes(created.body.key), 'the secret is never listed');

  const me = await key.get('/session');
  assert.deepEqual(me.body, { user: { name: 'camera script', role: 'admin' }, csrfToken: null });

  assert.equal((await admin.delete(`/api-keys/${created.body.id}`)).status, 204);
  const revoked = await key.get('/people');
  assert.equal(revoked.status, 401);
  assert.equal(errorCode(revoked), 'bad_api_key');
  assert.equal(errorCode(await admin.delete(`/api-keys/${created.body.id}`)), 'api_key_not_found');
  await admin.delete(`/people/${person.body.id}`);
});

test('no credentials or a wrong key: 401 with the envelope', async () => {
  const none = await server.anonymous.get('/people');
  assert.equal(none.status, 401);
  assert.equal(errorCode(none), 'unauthenticated');
  const wrong = await new ApiClient(server.url, { apiKey: 'vsk_wrong' }).get('/people');
  assert.equal(wrong.status, 401);
  assert.equal(errorCode(wrong), 'bad_api_key');
  const junk = await new ApiClient(server.url, { cookie: 'visage_session=forged' }).get('/session');
  assert.equal(junk.status, 401);
});

test('viewers read and recognise but cannot write; users are managed by admins', async () => {
  const created = await admin.post('/users', {
    username: 'olivia',
    password: 'viewer-password',
    role: 'viewer',
  });
  assert.equal(created.status, 201);
  assert.deepEqual({ name: created.body.name, role: created.body.role }, { name: 'olivia', role: 'viewer' });
  assert.equal(
    errorCode(
      await admin.post('/users', { username: 'OLIVIA', password: 'viewer-password', role: 'viewer' }),
    ),
    'username_taken',
  );
  assert.equal(
    errorCode(
      await admin.post('/users', { username: 'bad name!', password: 'viewer-password', role: 'viewer' }),
    ),
    'invalid_username',
  );
  const users = await admin.get('/users');
  assert.deepEqual(
    users.body.items.map((u: { name: string; role: string }) => `${u.name}:${u.role}`),
    ['admin:admin', 'olivia:viewer'],
  );

  const login = await server.anonymous.post('/session', { username: 'olivia', password: 'viewer-password' });
  const viewer = server.anonymous.with({
    cookie: sessionCookie(login.headers),
    csrfToken: login.body.csrfToken,
  });
  const target = await admin.post('/people', { name: 'Protected' });

  assert.equal((await viewer.get('/people')).status, 200);
  assert.equal((await viewer.get(`/people/${target.body.id}`)).status, 200);
  for (const write of [
    () => viewer.post('/people', { name: 'Not Allowed' }),
    () => viewer.patch(`/people/${target.body.id}`, { name: 'Renamed' }),
    () => viewer.delete(`/people/${target.body.id}`),
    () => viewer.get('/users'),
    () => viewer.post('/api-keys', { name: 'mine', role: 'admin' }),
  ]) {
    const res = await write();
    assert.equal(res.status, 403);
    assert.equal(errorCode(res), 'forbidden');
  }
  const viewerKey = await keyClient(admin, 'viewer');
  const byKey = await viewerKey.delete(`/people/${target.body.id}`);
  assert.equal(byKey.status, 403);
  assert.equal(errorCode(byKey), 'forbidden');
  assert.equal((await admin.get(`/people/${target.body.id}`)).body.name, 'Protected', 'nothing changed');

  assert.equal(errorCode(await admin.delete('/users/admin')), 'last_admin');
  assert.equal((await admin.delete('/users/olivia')).status, 204);
  assert.equal((await viewer.get('/people')).status, 401, "a deleted user's sessions end");
  assert.equal(errorCode(await admin.delete('/users/olivia')), 'user_not_found');
});

test('VISAGE_ADMIN_PASSWORD creates the admin at start instead of first-run setup', async () => {
  const preset = await startServer(import.meta.filename, { adminPassword: 'set-by-environment' });
  try {
    assert.deepEqual((await preset.anonymous.get('/setup')).body, { needsSetup: false });
    const login = await preset.anonymous.post('/session', {
      username: 'admin',
      password: 'set-by-environment',
    });
    assert.equal(login.status, 200);
    assert.equal(login.body.user.role, 'admin');
  } finally {
    await preset.close();
  }
});
