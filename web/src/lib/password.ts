// The server's rule for new passwords (src/server/auth/passwords.ts), checked before sending so that the
// form says at once what is wrong.
import type { I18n } from '../i18n';

export const MIN_PASSWORD = 12;

/** Why the server would refuse `password` as too short, or null. Counted in characters, as there. */
export function passwordTooShort(password: string, t: I18n['t']): string | null {
  return [...password].length < MIN_PASSWORD ? t('setup.tooShort', { n: MIN_PASSWORD }) : null;
}
