// Login throttling: per account and per client address, exponential backoff after repeated failures, up
// to a lockout window. An attempt counts as a failure from the moment it starts (and is taken back if the
// password was right), so 30 guesses sent in parallel are throttled like 30 in a row. While a key is
// locked the password is not even checked: the right one is refused too until the wait is over, so a
// guess that happens to be right tells the attacker nothing.
//
// Kept in memory: the server is one process, and a restart forgetting the counters costs an attacker
// the restart, which they cannot trigger. The map is bounded (MAX_TRACKED_KEYS) so that a flood of
// made-up user names or addresses cannot grow it without limit.

export interface ThrottlePolicy {
  /** Failures allowed before any wait. */
  freeFailures: number;
  /** Wait after the first failure beyond the free ones, ms; it doubles with each further failure. */
  baseDelayMs: number;
  /** The longest wait (the lockout window), ms. */
  maxDelayMs: number;
}

/**
 * A key is forgotten after two lockout windows without a failure: long enough that waiting out one
 * lockout does not restore the free failures (each further guess waits the whole window again), short
 * enough that a user who mistyped in the morning starts fresh later.
 */
const FORGET_AFTER_WINDOWS = 2;

/**
 * Per account: 5 free failures (a user mistyping a few times never waits), then 1 s doubling, capped at
 * a 15-minute lockout, reached after 15 failures; from then on one guess per 15 minutes, about 100 a day.
 */
export const ACCOUNT_POLICY: ThrottlePolicy = { freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 15 * 60_000 };
/**
 * Per address: more free failures (several people behind one NAT, each mistyping), same backoff and
 * window: one address trying many accounts is slowed as much as one account tried from many addresses.
 */
export const ADDRESS_POLICY: ThrottlePolicy = {
  freeFailures: 20,
  baseDelayMs: 1000,
  maxDelayMs: 15 * 60_000,
};
/** Keys remembered at most; beyond it the stalest are forgotten first (~100 bytes each: ~1 MB). */
export const MAX_TRACKED_KEYS = 10_000;

interface Entry {
  failures: number;
  lastFailureAt: number;
  /** Whether the current lockout was already reported (audit once per lockout, not per refused try). */
  reported: boolean;
}

export interface Refusal {
  /** Which key is locked: 'account' or 'address'. */
  scope: 'account' | 'address';
  retryAfterMs: number;
  /** True the first time this lockout refuses an attempt. */
  first: boolean;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly policies: { account: ThrottlePolicy; address: ThrottlePolicy } = {
      account: ACCOUNT_POLICY,
      address: ADDRESS_POLICY,
    },
  ) {}

  /**
   * Starts an attempt: null when it may go ahead (it is then counted as a failure until `succeeded`),
   * or why it may not. Accounts are compared case-insensitively, as user names are.
   */
  begin(account: string, address: string): Refusal | null {
    const keys = this.keys(account, address);
    const now = this.now();
    for (const [scope, key, policy] of keys) {
      const e = this.entries.get(key);
      if (!e) continue;
      const wait = e.lastFailureAt + delayMs(policy, e.failures) - now;
      if (wait > 0) {
        const first = !e.reported;
        e.reported = true;
        return { scope, retryAfterMs: wait, first };
      }
    }
    for (const [, key, policy] of keys) {
      const e = this.fresh(key, policy, now);
      e.failures++;
      e.lastFailureAt = now;
      e.reported = false;
      this.entries.delete(key); // re-insert: the map's order is then least recently failed first
      this.entries.set(key, e);
    }
    this.evict();
    return null;
  }

  /** The attempt begun for `account` from `address` had the right password. */
  succeeded(account: string, address: string): void {
    const [[, accountKey], [, addressKey]] = this.keys(account, address);
    this.entries.delete(accountKey);
    // The address's other failures (other accounts tried from it) still count; only this one is undone.
    const e = this.entries.get(addressKey);
    if (e && --e.failures <= 0) this.entries.delete(addressKey);
  }

  /** Failures counted for the account (for the audit log). */
  failures(account: string): number {
    return this.entries.get(`account:${account.toLowerCase()}`)?.failures ?? 0;
  }

  private keys(account: string, address: string): [Refusal['scope'], string, ThrottlePolicy][] {
    return [
      ['account', `account:${account.toLowerCase()}`, this.policies.account],
      ['address', `address:${address}`, this.policies.address],
    ];
  }

  /** The key's entry, restarted when it has been quiet for FORGET_AFTER_WINDOWS lockout windows. */
  private fresh(key: string, policy: ThrottlePolicy, now: number): Entry {
    const e = this.entries.get(key);
    if (e && now - e.lastFailureAt < FORGET_AFTER_WINDOWS * policy.maxDelayMs) return e;
    return { failures: 0, lastFailureAt: now, reported: false };
  }

  /** Forgets the least recently failed keys (the map's insertion order) beyond MAX_TRACKED_KEYS. */
  private evict(): void {
    for (const key of this.entries.keys()) {
      if (this.entries.size <= MAX_TRACKED_KEYS) break;
      this.entries.delete(key);
    }
  }
}

/** Wait after `failures` failures: none within the free ones, then base · 2^(extra − 1), capped. */
export function delayMs(policy: ThrottlePolicy, failures: number): number {
  const extra = failures - policy.freeFailures;
  if (extra <= 0) return 0;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(extra - 1, 30));
}
