// Person names: what a valid name is, its canonical display form, and the key that makes names unique.
// Names are never used as file or URL paths (crops live in the database), so '/', '..', quotes, HTML,
// CJK and emoji are all kept verbatim; only what cannot be displayed or compared reliably is refused.
import { VisageError } from '../errors.js';

/** Longest accepted name, in Unicode code points after normalisation. */
export const MAX_NAME_LENGTH = 100;

/**
 * The display form of a name: NFC (so "e" + U+0301 and "é" are one name), trimmed, and every run of
 * whitespace (any Unicode space, including NBSP and the ideographic space) collapsed to one ASCII space.
 * Throws `invalid_name` when the result is empty or has no visible character, is longer than
 * MAX_NAME_LENGTH code points, or contains a control character (tab and newline included; at the ends
 * they are trimmed like spaces) or an unpaired surrogate.
 */
export function normalizePersonName(raw: string): string {
  if (typeof raw !== 'string') throw invalid('the name must be a string', raw);
  if (/\p{Cs}/u.test(raw)) throw invalid('the name contains an unpaired surrogate (broken UTF-16)', raw);
  const name = raw.normalize('NFC').trim();
  if (/\p{Cc}/u.test(name))
    throw invalid('the name contains a control character such as a tab or newline', raw);
  const collapsed = name.replace(/\s+/gu, ' ');
  // Format characters (ZWJ, bidi marks), separators and lone combining marks alone show nothing.
  if (!/[^\p{Cf}\p{Z}\p{M}]/u.test(collapsed)) throw invalid('the name is empty', raw);
  const length = [...collapsed].length;
  if (length > MAX_NAME_LENGTH) {
    throw invalid(`the name has ${length} characters; the limit is ${MAX_NAME_LENGTH}`, raw);
  }
  return collapsed;
}

/**
 * The uniqueness key of a name: two names with the same key are the same person's name.
 * key = NFKC(lower(upper(normalizePersonName(name)))).
 * - JavaScript has no Unicode case folding; upper-then-lower approximates it (ß, ẞ and SS all become
 *   "ss"; final and medial sigma become one) and, unlike toLocaleLowerCase, does not depend on the
 *   machine's locale, so the same database behaves the same everywhere.
 * - NFKC folds compatibility variants that look alike: full-width "Ａｌｉｃｅ" is "alice", "ﬁ" is "fi".
 * Trade-off: Turkish dotless ı and i share a key ("Irmak" = "ırmak"); the user can add a surname.
 */
export function nameKey(name: string): string {
  return normalizePersonName(name).toUpperCase().toLowerCase().normalize('NFKC');
}

function invalid(reason: string, raw: unknown): VisageError {
  return new VisageError('invalid_name', `Invalid person name: ${reason}.`, {
    name: typeof raw === 'string' ? raw.slice(0, 200) : String(raw),
  });
}
