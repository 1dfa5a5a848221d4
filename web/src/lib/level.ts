// The security level the UI recognises at (strict / balanced / lenient): one setting of the Recognize
// page, remembered in localStorage and sent with every recognition request (photos, the live camera).
import type { SecurityLevel } from '../../../src/api/index';

export type { SecurityLevel };
/** The contract's SECURITY_LEVELS (typed by it; not imported, so the schema library stays out of the bundle). */
export const SECURITY_LEVELS: readonly SecurityLevel[] = ['strict', 'balanced', 'lenient'];

const STORAGE_KEY = 'visage.level';
export const DEFAULT_LEVEL: SecurityLevel = 'balanced';

export function savedLevel(): SecurityLevel {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    return (SECURITY_LEVELS as readonly string[]).includes(saved ?? '')
      ? (saved as SecurityLevel)
      : DEFAULT_LEVEL;
  } catch {
    return DEFAULT_LEVEL;
  }
}

export function saveLevel(level: SecurityLevel): void {
  try {
    localStorage.setItem(STORAGE_KEY, level);
  } catch {
    // storage refused (private mode): the choice lasts for this page only
  }
  current = level;
}

let current: SecurityLevel | null = null;

/** The level to send now: the one chosen on this page, else the saved one. */
export function currentLevel(): SecurityLevel {
  return (current ??= savedLevel());
}
