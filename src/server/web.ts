// The built browser UI (web/dist) at `/`, with the single-page app's fallback: any GET that is not an API
// or asset path answers index.html, so deep links like /manage/people/3 load the app. Without a build,
// `/` says how to make one.
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { envelope } from './errors.js';

/** web/dist beside src/ and dist/ alike (this file is src/server/web.ts or dist/server/web.js). */
export const DEFAULT_WEB_ROOT = path.resolve(import.meta.dirname, '../../web/dist');

// The UI loads only its own scripts; names are rendered as text, and this stops an injected script
// anyway. Camera frames and thumbnails use blob: and data: URLs.
const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const BUILD_HINT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Visage</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>Visage</h1>
<p>The API is running, but the web UI has not been built. Run <code>npm run build</code> in the project folder and reload.</p>
<p>The API is documented at <a href="/docs">/docs</a>.</p>
</body></html>
`;

export async function registerWebUi(app: FastifyInstance, webRoot: string): Promise<void> {
  const built = fs.existsSync(path.join(webRoot, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root: webRoot,
      cacheControl: false,
      setHeaders: (reply, file) => {
        // Vite names assets by content hash: they never change; index.html must be re-read.
        const asset = file.includes(`${path.sep}assets${path.sep}`);
        reply.header('cache-control', asset ? 'public, max-age=31536000, immutable' : 'no-cache');
        if (file.endsWith('.html')) reply.header('content-security-policy', UI_CSP);
      },
    });
  }

  app.setNotFoundHandler(async (request: FastifyRequest, reply: FastifyReply) => {
    const pathname = request.url.split('?')[0]!;
    const wantsPage =
      (request.method === 'GET' || request.method === 'HEAD') &&
      !pathname.startsWith('/api/') &&
      !path.extname(pathname) &&
      (request.headers.accept ?? '').includes('text/html');
    if (!wantsPage && pathname !== '/') {
      return reply.code(404).send(envelope('not_found', `No route ${request.method} ${pathname}.`));
    }
    if (!built)
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(BUILD_HINT);
    return reply.sendFile('index.html');
  });
}
