// The header: brand, the three modes, the language switch, the signed-in user and logout.
import { LANGS, useI18n, type Lang, type MessageKey } from '../i18n';
import { href } from '../lib/router';
import { useSession } from '../lib/session';

const MODES: { id: string; label: MessageKey; adminOnly: boolean; icon: string }[] = [
  {
    id: 'recognize',
    label: 'nav.recognize',
    adminOnly: false,
    icon: 'M3 7V5a2 2 0 0 1 2-2h2M17 3h2a2 2 0 0 1 2 2v2M21 17v2a2 2 0 0 1-2 2h-2M7 21H5a2 2 0 0 1-2-2v-2M9 10h.01M15 10h.01M9.5 15a3.5 3.5 0 0 0 5 0',
  },
  {
    id: 'enroll',
    label: 'nav.enroll',
    adminOnly: true,
    icon: 'M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8M19 8v6M22 11h-6',
  },
  {
    id: 'manage',
    label: 'nav.manage',
    adminOnly: false,
    icon: 'M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8M23 21v-2a4 4 0 0 0-3-3.87M16 3.13a4 4 0 0 1 0 7.75',
  },
];

export function Header({ mode, onLogout }: { mode: string; onLogout: () => void }) {
  const { t, lang, setLang } = useI18n();
  const { user, isAdmin } = useSession();
  return (
    <header className="header">
      <a className="brand" href={href('recognize')}>
        <span className="logo" aria-hidden="true">
          <svg viewBox="0 0 32 32" width="30" height="30">
            <rect width="32" height="32" rx="9" fill="currentColor" />
            <circle cx="16" cy="13.5" r="5.5" fill="none" stroke="#fff" strokeWidth="2.4" />
            <path
              d="M7.5 26.5c2-4.6 5.2-6.5 8.5-6.5s6.5 1.9 8.5 6.5"
              fill="none"
              stroke="#fff"
              strokeWidth="2.4"
              strokeLinecap="round"
            />
          </svg>
        </span>
        <span className="brand-name">Visage</span>
      </a>
      <nav className="modes" aria-label={t('nav.modes')}>
        {MODES.filter((m) => isAdmin || !m.adminOnly).map((m) => (
          <a
            key={m.id}
            href={href(m.id)}
            className={mode === m.id ? 'active' : ''}
            aria-current={mode === m.id ? 'page' : undefined}
            data-testid={`nav-${m.id}`}
          >
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
              <path
                d={m.icon}
                fill="none"
                stroke="currentColor"
                strokeWidth="2"
                strokeLinecap="round"
                strokeLinejoin="round"
              />
            </svg>
            <span>{t(m.label)}</span>
          </a>
        ))}
      </nav>
      <div className="header-tools">
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
        <span className="user-chip" title={t(`role.${user.role}`)}>
          <span className="avatar" aria-hidden="true">
            {user.name.slice(0, 1).toUpperCase()}
          </span>
          <span className="user-name">{user.name}</span>
          <span className={`role-badge ${user.role}`}>{t(`role.${user.role}`)}</span>
        </span>
        <button type="button" className="ghost" onClick={onLogout} data-testid="logout">
          {t('nav.logout')}
        </button>
      </div>
    </header>
  );
}
