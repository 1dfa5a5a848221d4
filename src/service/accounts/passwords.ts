// Password hashing with scrypt (node:crypto): memory-hard, so a stolen database is slow to attack.
// Stored as `scrypt$N$r$p$salt$hash` so the cost can be raised later without breaking old hashes.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { VisageError } from '../../errors.js';
import { isCommonPassword } from './common-passwords.js';

/**
 * 12 characters: the length current guidance (NIST SP 800-63B for user-chosen secrets, OWASP) points to
 * for a password that guards an admin role; 8 fell to a plain dictionary run (`password`, `12345678`).
 */
export const MIN_PASSWORD_LENGTH = 12;
/** Longer inputs only cost CPU; no passphrase needs more. */
export const MAX_PASSWORD_LENGTH = 1024;

// N = 2^15 takes ~50 ms and 32 MiB on this machine: slow for an attacker, fine for a login.
const COST = { N: 2 ** 15, r: 8, p: 1 };
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      password.normalize('NFC'),
      salt,
      KEY_LENGTH,
      { ...options, maxmem: 128 * options.N! * options.r! * 2 },
      (e, key) => (e ? reject(e) : resolve(key)),
    ),
  );
}

/**
 * Refuses passwords too short or too common to resist guessing, saying which. Errors: `invalid_password`
 * (details.reason: `too_short`, `too_long` or `common`).
 */
export function checkNewPassword(password: string): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw new VisageError(
      'invalid_password',
      `The password needs at least ${MIN_PASSWORD_LENGTH} characters: shorter ones are guessed quickly.`,
      { minLength: MIN_PASSWORD_LENGTH, reason: 'too_short' },
    );
  }
  if (isCommonPassword(password)) {
    throw new VisageError(
      'invalid_password',
      'This password is on the list of common passwords attackers try first; choose another (a few unrelated words work well).',
      { minLength: MIN_PASSWORD_LENGTH, reason: 'common' },
    );
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new VisageError(
      'invalid_password',
      `The password may have at most ${MAX_PASSWORD_LENGTH} characters.`,
      { reason: 'too_long' },
    );
  }
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash || password.length > MAX_PASSWORD_LENGTH) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await derive(password, Buffer.from(salt, 'base64'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

let dummy: Promise<string> | undefined;

/** A hash that never matches, verified for unknown user names so that they take as long as known ones. */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  return dummy;
}
