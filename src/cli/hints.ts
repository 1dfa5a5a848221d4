// What only the command line can say: which flag or command helps. The service's messages say what
// happened in words any shell (CLI, HTTP, web) can show; the CLI adds its own way out here, from the
// error's code and details or a rejection's reason.
import type { VisageError } from '../errors.js';

/** The hint appended to a failed command's one `visage:` line, or null. */
export function cliHint(e: VisageError): string | null {
  const d = e.details;
  if (d.overridable === true) return '--force accepts it anyway';
  switch (e.code) {
    case 'person_not_found':
      return typeof d.name === 'string' ? 'see `visage people`' : null;
    case 'sample_not_found':
      return 'see `visage samples NAME`';
    case 'name_taken':
      return typeof d.person === 'string' && typeof d.holder === 'string'
        ? `add --merge to merge ${d.person} into ${d.holder}, or pick another name`
        : null;
    case 'live_source':
      return `use \`visage watch ${String(d.source)}\``;
    case 'unknown_model':
      return 'see `visage models`';
    case 'invalid_archive':
      return d.folder === true ? '`visage import FOLDER` enrols a folder of person folders' : null;
    default:
      return null;
  }
}

/** A rejected photo's message with the flag that would change the answer. */
export function rejectionText(r: {
  reason?: string;
  message?: string;
  overridable?: boolean;
  retryable?: boolean;
}): string {
  const message = r.message ?? '';
  if (r.overridable) return `${message} (--force accepts it anyway)`;
  if (r.reason === 'multiple_faces') return `${message} (--largest takes the largest face)`;
  if (r.retryable) return `${message}; --retry-failed tries it again`;
  return message;
}
