// The language switch, the same in the header and on the sign-in pages.
import { LANGS, useI18n, type Lang } from '../i18n';

export function LanguageSelect() {
  const { t, lang, setLang } = useI18n();
  return (
    <select
      className="lang-select"
      value={lang}
      onChange={(e) => setLang(e.target.value as Lang)}
      aria-label={t('nav.language')}
      data-testid="lang"
    >
      {LANGS.map((l) => (
        <option key={l.id} value={l.id}>
          {l.label}
        </option>
      ))}
    </select>
  );
}
