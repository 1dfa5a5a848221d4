// Network cameras: what their failures may say, and which addresses they may reach.
//
// Failures: a stream failure is reported as a category (refused / unreachable / not a stream), never as
// the remote side's own text, and URLs in messages lose their user:password (frame-reader.ts, probe.ts).
//
// Addresses (issue 11, item 6), enforced for every live network source — a camera of the server
// (checked when it is added, when it is started, and on every connection ffmpeg makes for it,
// ffmpeg-egress.ts) and `visage watch <url>`: judgeHost refuses a host that is, or resolves to (every
// address the name resolves to is judged), a loopback, link-local (169.254.0.0/16 and fe80::/10), cloud
// metadata (169.254.169.254, fd00:ec2::254), multicast or unspecified address, unless the admin's
// allowlist names the host or the address: VISAGE_CAMERA_ALLOW, or `--camera-allow` of `visage serve` /
// `visage watch` (added to it). Private LAN ranges (10/8, 172.16/12, 192.168/16, fc00::/7) are allowed:
// cameras live there. Local files, image sequences and capture devices are not network sources and are
// not affected; `visage video <url>` reads a URL chosen by the local user, like a file, and is not checked.
//
// Redirects and rebinding: ffmpeg follows redirects and resolves names itself, so the policy is applied
// where it connects (ffmpeg-egress.ts): http(s) cameras reach the network only through a proxy of ours that
// judges every connection (the first, each redirect hop) with judgeHost and connects to the address it
// checked; rtsp(s) cameras play through a relay of ours that connects to the checked address and judges
// each 3xx the camera answers before ffmpeg reads it; other schemes are given the checked address in place
// of the name. Redirects are thus followed only within the policy, and a name that resolves elsewhere by
// the time ffmpeg connects (DNS rebinding) changes nothing. Error texts never carry the remote side's
// answer, nor a redirect's target: a category (and for the policy, the rule) only.
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

/**
 * The IPv4 address inside an IPv4-mapped IPv6 one, in either spelling (`::ffff:127.0.0.1`, or
 * `::ffff:7f00:1` as URL parsing writes it); null for any other address.
 */
function mappedIPv4(ip: string): string | null {
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (dotted) return dotted;
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
  if (!hex) return null;
  const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** What kind of address `ip` is (IPv4-mapped IPv6 addresses are judged as their IPv4 address). */
export function classifyAddress(ip: string): AddressCategory {
  const address = mappedIPv4(ip) ?? ip;
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
    .map((s) =>
      s
        .trim()
        .toLowerCase()
        .replace(/^\[|\]$/g, ''),
    )
    .filter(Boolean)) {
    const [addr, bits, extra] = entry.split('/');
    const family = net.isIP(addr ?? '');
    const max = family === 4 ? 32 : 128;
    if (family && bits !== undefined) {
      if (extra !== undefined || !/^\d+$/.test(bits) || Number(bits) > max) throw badEntry(entry);
      ranges.addSubnet(addr!, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
    } else if (family) ranges.addAddress(addr!, family === 4 ? 'ipv4' : 'ipv6');
    else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/.test(entry))
      hosts.add(entry.replace(/\.$/, ''));
    else throw badEntry(entry);
  }
  return { hosts, ranges };
}

function badEntry(entry: string): VisageError {
  return new VisageError(
    'invalid_option',
    `camera allowlist (${ALLOW_ENV} / --camera-allow): "${entry}" is not a host name, an address or a CIDR range such as 127.0.0.0/8.`,
    { entry },
  );
}

/**
 * Adds `entries` (comma-separated host names, addresses or CIDR ranges) to the allowlist of this process,
 * after checking them: what `--camera-allow` of `visage serve` / `visage watch` does. Throws
 * `invalid_option` for an entry that is none of those.
 */
export function allowCameras(entries: string): void {
  const merged = [process.env[ALLOW_ENV], entries].filter((s) => s?.trim()).join(',');
  allowlist(merged);
  process.env[ALLOW_ENV] = merged;
}

/** Whether a source of this name is a network URL the policy applies to (not a file or device). */
export function isNetworkUrl(name: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(name) && !/^file:/i.test(name);
}

/** What the policy says of one host: the address to connect to, or why not. */
export type HostVerdict =
  | { allowed: true; address: string }
  | { allowed: false; why: 'unresolvable' }
  | { allowed: false; why: 'refused'; address: string; category: AddressCategory; rule: string };

/**
 * Judges a host (a name or an address) by the policy: every address the name resolves to must pass,
 * unless the allowlist names the host or the address. When it passes, the address to connect to — the
 * first the lookup gave — is returned: connecting to exactly that address, rather than to the name
 * (which would be resolved again), is what keeps a DNS answer that changes in between (rebinding) out.
 */
export async function judgeHost(
  rawHost: string,
  allow: string | undefined = undefined,
): Promise<HostVerdict> {
  const host = rawHost.replace(/^\[|\]$/g, '').toLowerCase();
  const allowed = allowlist(allow);
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
      return { allowed: false, why: 'unresolvable' };
    }
    if (!addresses.length) return { allowed: false, why: 'unresolvable' };
  }
  if (allowed.hosts.has(host.replace(/\.$/, ''))) return { allowed: true, address: addresses[0]! };
  for (const address of addresses) {
    const category = classifyAddress(address);
    if (category === 'public-or-private') continue;
    const family = net.isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (allowed.ranges.check(address, family)) continue;
    // IPv4-mapped IPv6 addresses are judged as IPv4 ones: the allowlist may name either form.
    const mapped = mappedIPv4(address);
    if (mapped && allowed.ranges.check(mapped, 'ipv4')) continue;
    return { allowed: false, why: 'refused', address, category, rule: ruleOf(mapped ?? address) };
  }
  return { allowed: true, address: addresses[0]! };
}

/**
 * Refuses a stream URL whose host is, or resolves to, an address the policy refuses, unless the
 * allowlist names the host or the address; returns the checked address to connect to (see judgeHost).
 * Errors: `camera_address_refused` (the category only), `source_unreachable` (the name does not resolve).
 */
export async function checkStreamUrl(url: string, allow: string | undefined = undefined): Promise<string> {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    throw new VisageError('invalid_source', `${maskCredentials(url)} is not a valid URL.`, {
      source: maskCredentials(url),
    });
  }
  const verdict = await judgeHost(host, allow);
  if (verdict.allowed) return verdict.address;
  if (verdict.why === 'unresolvable') {
    throw new VisageError(
      'source_unreachable',
      `${maskCredentials(url)}: unreachable (its host name does not resolve).`,
      { source: maskCredentials(url), category: 'unreachable' },
    );
  }
  const { address, category, rule } = verdict;
  const where = net.isIP(host) ? `${host} is` : `${host} resolves to ${address},`;
  throw new VisageError(
    'camera_address_refused',
    `${maskCredentials(url)} is refused by the camera address policy: ${where} a ${category} address (${rule}), which cameras may not use by default. An admin can allow it by naming ${net.isIP(host) ? host : `${host} or ${address}`} in ${ALLOW_ENV} (comma-separated host names, addresses or CIDR ranges), or with --camera-allow of visage serve / visage watch.`,
    { source: maskCredentials(url), category, rule, allow: ALLOW_ENV },
  );
}

/** The refused range an address falls in, as "127.0.0.0/8". */
function ruleOf(address: string): string {
  for (const [base, bits] of BLOCKED) if (inRange(address, base, bits)) return `${base}/${bits}`;
  return address;
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
