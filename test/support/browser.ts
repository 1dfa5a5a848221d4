// Browser end-to-end support: the real server (src/server) on a temporary data directory serving the built
// UI, real headless Chromium (Debian's package) driven by playwright-core, a fake camera fed from a .y4m
// made with ffmpeg from a photo, screenshots, and the check that no English UI string shows in Chinese.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { ffmpegPath } from '../../src/media/ffmpeg.js';
import { warmUp } from '../../src/server/app.js';
import { startServer as startApiServer, type TestServer } from './server.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const FACES = path.resolve(ROOT, '../shared/faces');
export const SCREENSHOTS = path.join(ROOT, 'test-output/screenshots');
const WEB = path.join(ROOT, 'web');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export const facePath = (rel: string): string => path.join(FACES, rel);

// ---- the UI build ------------------------------------------------------------------------------------

function newestMtime(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...fs.readdirSync(p).map((f) => newestMtime(path.join(p, f))));
}

/** Builds web/dist when it is missing or older than the UI's sources. */
export function ensureWebBuilt(): void {
  const index = path.join(WEB, 'dist/index.html');
  const sources = Math.max(
    newestMtime(path.join(WEB, 'src')),
    newestMtime(path.join(WEB, 'index.html')),
    newestMtime(path.join(WEB, 'vite.config.ts')),
  );
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= sources) return;
  const vite = path.join(ROOT, 'node_modules/vite/bin/vite.js');
  const r = spawnSync(
    process.execPath,
    [vite, 'build', '--config', path.join(WEB, 'vite.config.ts'), '--logLevel', 'warn'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`building the UI failed:\n${r.stdout}\n${r.stderr}`);
}

// ---- the server ----------------------------------------------------------------------------------------

export type { TestServer as RunningServer };

/**
 * The real server (test/support/server.ts) serving the built UI, with the models loaded before it returns.
 * `recordAs` is the calling file (import.meta.filename), as there.
 */
export async function startServer(
  recordAs: string,
  options: { adminPassword?: string } = {},
): Promise<TestServer> {
  ensureWebBuilt();
  const server = await startApiServer(recordAs, {
    webRoot: path.join(WEB, 'dist'),
    adminPassword: options.adminPassword,
  });
  await warmUp(server.context);
  return server;
}

// ---- the browser -------------------------------------------------------------------------------------

/** Headless Chromium; with `fakeCamera`, getUserMedia gets that .y4m video (looped) without asking. */
export async function launchBrowser(options: { fakeCamera?: string } = {}): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-sync',
    '--disable-quic',
  ];
  if (options.fakeCamera) {
    args.push(
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${options.fakeCamera}`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

export interface OpenPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors of the page's scripts: a test asserts this stays empty. */
  errors: Error[];
}

export async function newPage(
  browser: Browser,
  server: TestServer,
  viewport = DESKTOP,
  locale = 'en-US',
): Promise<OpenPage> {
  const context = await browser.newContext({ viewport, locale, baseURL: server.url, deviceScaleFactor: 1 });
  await context.grantPermissions(['camera'], { origin: server.url });
  const page = await context.newPage();
  const errors: Error[] = [];
  page.on('pageerror', (e) => errors.push(e));
  return { context, page, errors };
}

/**
 * A .y4m video of one photo scaled and padded to 640×480, for Chromium's fake camera (raw yuv420p, so
 * 460 KB a frame: a few seconds at 10 frames/s, which Chromium loops).
 */
export function makeFakeCameraVideo(photo: string, seconds = 3, fps = 10): string {
  const ffmpeg = ffmpegPath();
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'visage-cam-')), 'camera.y4m');
  const r = spawnSync(
    ffmpeg,
    [
      '-v',
      'error',
      '-y',
      '-loop',
      '1',
      '-i',
      photo,
      '-t',
      String(seconds),
      '-r',
      String(fps),
      '-vf',
      'scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,format=yuv420p',
      '-pix_fmt',
      'yuv420p',
      out,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  return out;
}

// ---- checks ------------------------------------------------------------------------------------------

/** A full-page screenshot; `fullPage: false` for the viewport only (an open dialog covers only that). */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  // From the top: a full-page shot of a scrolled page draws the sticky header mid-page.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: file, fullPage });
  return file;
}

/** Signs in through the login form (the page must show it). */
export async function login(page: Page, username: string, password: string): Promise<void> {
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.locator('button[type=submit]').click();
  await page.getByTestId('logout').waitFor();
}

/** A new page (see newPage) that has opened the app and signed in through the login form. */
export async function signedInPage(
  browser: Browser,
  server: TestServer,
  username: string,
  password: string,
): Promise<OpenPage> {
  const open = await newPage(browser, server);
  await open.page.goto('/');
  await login(open.page, username, password);
  return open;
}

type Dictionary = Record<string, string>;

/** The UI's two dictionaries, read from web/src (tsx compiles them). */
export async function dictionaries(): Promise<{ en: Dictionary; zh: Dictionary }> {
  const load = (file: string) =>
    import(pathToFileURL(path.join(WEB, 'src/i18n', file)).href) as Promise<Record<string, Dictionary>>;
  const [{ en }, { zhCN }] = await Promise.all([load('en.ts'), load('zh-CN.ts')]);
  return { en: en!, zh: zhCN! };
}

/**
 * Every piece of text a person sees or hears on the page: text nodes, placeholders, labels, titles. The
 * script runs in the page (as a string: this project's TypeScript has no DOM types).
 */
export function visibleTexts(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const out = [];
    const shown = (el) => {
      const s = getComputedStyle(el);
      return s.display !== 'none' && s.visibility !== 'hidden' && (el.offsetParent !== null || s.position === 'fixed');
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent.trim();
      const el = n.parentElement;
      if (text && el && !['SCRIPT', 'STYLE', 'OPTION'].includes(el.tagName) && shown(el)) out.push(text);
    }
    for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], img[alt], option')) {
      for (const attr of ['placeholder', 'aria-label', 'title', 'alt']) {
        const v = (el.getAttribute(attr) || '').trim();
        if (v) out.push(v);
      }
      if (el.tagName === 'OPTION' && el.textContent.trim()) out.push(el.textContent.trim());
    }
    return out;
  })()`);
}

/**
 * The strings of the `foreign` dictionary found among `texts` (what a page in the `own` language shows).
 * A string with {placeholders} matches any filling; strings both languages share (brand names, symbols)
 * are no evidence and are skipped.
 */
export function untranslated(texts: string[], foreign: Dictionary, own: Dictionary): string[] {
  const escape = (part: string) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const patterns = Object.keys(foreign)
    .filter((k) => foreign[k] !== own[k] && foreign[k]!.replace(/\{\w+\}|\s/g, '').length >= 2)
    .map((k) => ({
      key: k,
      re: new RegExp(
        `^${foreign[k]!.split(/\{\w+\}/)
          .map(escape)
          .join('.*?')}$`,
        's',
      ),
    }));
  const found = new Set<string>();
  for (const text of texts) {
    for (const p of patterns) if (p.re.test(text)) found.add(`${p.key}: "${text}"`);
  }
  return [...found];
}

/** A call to the API as the page's signed-in user (its cookie, and the CSRF token for writes). */
export async function pageApi<T = unknown>(
  page: Page,
  method: string,
  apiPath: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const session = await page.request.get('/api/v1/session');
  const { csrfToken } = (await session.json()) as { csrfToken: string };
  const r = await page.request.fetch(`/api/v1${apiPath}`, {
    method,
    headers: { 'x-csrf-token': csrfToken },
    data: body,
  });
  const text = await r.text();
  return { status: r.status(), json: (text ? JSON.parse(text) : null) as T };
}

/** Polls until `check` holds (the page updates asynchronously), or fails after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const waitForCount = (locator: Locator, n: number, timeoutMs?: number): Promise<void> =>
  waitUntil(`${n} of ${locator.toString()}`, async () => (await locator.count()) === n, timeoutMs);

/** Waits until the live page has drawn at least `n` answers. */
export const waitForLiveFrames = (page: Page, n: number, timeoutMs?: number): Promise<void> =>
  waitUntil(
    `${n} live frames`,
    async () => Number(await page.getByTestId('live-stats').getAttribute('data-frames')) >= n,
    timeoutMs,
  );
