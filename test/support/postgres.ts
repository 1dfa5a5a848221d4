// A throw-away PostgreSQL for the store tests: Debian's server binaries, a cluster in a temporary
// directory, listening on 127.0.0.1 at a free port, removed when the test file ends. PostgreSQL refuses to
// run as root, so under root (CI) the cluster belongs to the `postgres` user. VISAGE_TEST_POSTGRES set to a
// URL uses that server instead (a database per call is created in it).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const BIN = '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  /** A new, empty database on the server, as a connection URL. */
  database(): Promise<string>;
  stop(): void;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function run(command: string, args: string[], asPostgres: boolean): void {
  const [file, argv] = asPostgres ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  const result = spawnSync(file, argv, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
}

export async function startPostgres(): Promise<TestPostgres> {
  const external = process.env['VISAGE_TEST_POSTGRES'];
  let serverUrl: string;
  let stop = (): void => {};
  if (external) serverUrl = external;
  else {
    const asPostgres = process.getuid?.() === 0;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'visage-pg-'));
    if (asPostgres) execFileSync('chown', ['postgres:postgres', dir]);
    const port = await freePort();
    // No fsync and C collation: a test cluster, not a durable one; C sorts like SQLite's BINARY.
    run(
      `${BIN}/initdb`,
      ['-D', dir, '-U', 'visage', '--auth=trust', '--no-locale', '-E', 'UTF8'],
      asPostgres,
    );
    run(
      `${BIN}/pg_ctl`,
      [
        '-D',
        dir,
        '-l',
        path.join(dir, 'server.log'),
        '-w',
        '-o',
        `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off -c synchronous_commit=off`,
        'start',
      ],
      asPostgres,
    );
    serverUrl = `postgres://visage@127.0.0.1:${port}/postgres`;
    stop = () => {
      run(`${BIN}/pg_ctl`, ['-D', dir, '-m', 'immediate', '-w', 'stop'], asPostgres);
      fs.rmSync(dir, { recursive: true, force: true });
    };
  }
  let count = 0;
  return {
    async database() {
      const name = `visage_test_${process.pid}_${++count}`;
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    stop,
  };
}
