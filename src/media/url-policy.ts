// Network cameras: what their failures may say, and which addresses they may reach.
//
// In use: a stream failure is reported as a category (refused / unreachable / not a stream), never as
// the remote side's own text, and URLs in messages lose their user:password (frame-reader.ts, probe.ts).
//
// Ready but NOT YET ENFORCED (issue 11, item 6): checkStreamUrl refuses hosts that are or resolve to
// loopback, link-local (169.254.0.0/16 holds the cloud metadata service), multicast or unspecified
// addresses unless VISAGE_CAMERA_ALLOW names them; private LAN ranges are allowed, as cameras live there.
// Switching it on (probeMedia and FrameReader for `kind: 'stream'`) needs the tests and benches that
// serve streams on 127.0.0.1 to set VISAGE_CAMERA_ALLOW. Known gaps: ffmpeg resolves the name again
// (DNS rebinding), and ffmpeg 5 follows HTTP redirects with no hook to check them (the protocol
// whitelist keeps them to the same scheme).
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { VisageError } from '../errors.js';

/** The environment variable with the admin's allowlist: host names, addresses or CIDR ranges, comma-separated. */
export const ALLOW_ENV = 'VISAGE_CAMERA_ALLOW';

/** How long a camera's host name may take to resolve before the camera counts as unreachable. */
const LOOKUP_TIMEOUT_MS = 5000;

export type AddressCategory =
  'loopback' | 'link-local' | 'metadata' | 'multicast' | 'unspecified' | 'public-or-private';

const BLOCKED: readonly [string, number, AddressCategory][] = [
  ['169.254.169.254', 32, 'metadata'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['224.0.0.0', 4, 'multicast'],
  ['0.0.0.0', 8, 'unspecified'],
  ['fd00:ec2::254', 128, 'metadata'],
  ['::1', 128, 'loopback'],
  ['fe80::', 10, 'link-local'],
  ['ff00::', 8, 'multicast'],
  ['::', 128, 'unspecified'],
];

/** What kind of address `ip` is (IPv4-mapped IPv6 addresses are judged as their IPv4 address). */
export function classifyAddress(ip: string): AddressCategory {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const address = mapped ?? ip;
  for (const [base, bits, category] of BLOCKED) if (inRange(address, base, bits)) return category;
  return 'public-or-private';
}

function inRange(ip: string, base: string, bits: number): boolean {
  const family = net.isIP(ip);
  if (family === 0 || family !== net.isIP(base)) return false;
  const list = new net.BlockList();
  list.addSubnet(base, bits, family === 4 ? 'ipv4' : 'ipv6');
  return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

interface Allowed {
  hosts: Set<string>;
  ranges: net.BlockList;
}

function allowlist(raw = process.env[ALLOW_ENV] ?? ''): Allowed {
  const hosts = new Set<string>();
  const ranges = new net.BlockList();
  for (const entry of raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)) {
    const [addr, bits] = entry.split('/');
    const family = net.isIP(addr ?? '');
    if (family && bits !== undefined) ranges.addSubnet(addr!, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
    else if (family) ranges.addAddress(addr!, family === 4 ? 'ipv4' : 'ipv6');
    else hosts.add(entry);
  }
  return { hosts, ranges };
}

/**
 * Refuses a stream URL whose host is, or resolves to, an address the policy refuses, unless the
 * allowlist names the host or the address. Errors: `camera_address_refused` (the category only),
 * `source_unreachable` (the name does not resolve).
 */
export async function checkStreamUrl(url: string, allow: string | undefined = undefined): Promise<void> {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    throw new VisageError('invalid_source', `${maskCredentials(url)} is not a valid URL.`, {
      source: maskCredentials(url),
    });
  }
  const allowed = allowlist(allow);
  if (allowed.hosts.has(host)) return;
  let addresses: string[];
  if (net.isIP(host)) addresses = [host];
  else {
    try {
      const found = await Promise.race([
        lookup(host, { all: true, verbatim: true }),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('timeout')), LOOKUP_TIMEOUT_MS).unref(),
        ),
      ]);
      addresses = found.map((a) => a.address);
    } catch {
      throw new VisageError(
        'source_unreachable',
        `${maskCredentials(url)}: unreachable (its host name does not resolve).`,
        {
          source: maskCredentials(url),
          category: 'unreachable',
        },
      );
    }
  }
  for (const address of addresses) {
    const category = classifyAddress(address);
    if (category === 'public-or-private') continue;
    const family = net.isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (allowed.ranges.check(address, family)) continue;
    throw new VisageError(
      'camera_address_refused',
      `${maskCredentials(url)} points at a ${category} address, which cameras may not use; an admin can allow it in ${ALLOW_ENV}.`,
      { source: maskCredentials(url), category },
    );
  }
}

/** The URL without its user:password part, for messages. */
export function maskCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

/**
 * A stream failure as a category, never the remote side's own text (which would let a user read
 * another service's answers through the camera form): `refused` (nothing listens), `unreachable`
 * (no route, no answer, name unknown), `not_a_stream` (something answered, but not with video).
 */
export function streamFailureCategory(reason: string): 'refused' | 'unreachable' | 'not_a_stream' {
  if (/connection refused|ECONNREFUSED/i.test(reason)) return 'refused';
  if (
    /timed out|timeout|no route|unreachable|resolve|name or service|network is down|ENETUNREACH|EHOSTUNREACH/i.test(
      reason,
    )
  )
    return 'unreachable';
  return 'not_a_stream';
}

export const CATEGORY_TEXT: Record<ReturnType<typeof streamFailureCategory>, string> = {
  refused: 'the connection was refused',
  unreachable: 'unreachable',
  not_a_stream: 'it answered, but not with a video stream',
};
