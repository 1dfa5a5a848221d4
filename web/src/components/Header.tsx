// The header: brand, the three modes, the language switch, the signed-in user and logout.
import { useI18n, type MessageKey } from '../i18n';
import { href } from '../lib/router';
import { useSession } from '../lib/session';
import { Icon } from './Icon';
import { LanguageSelect } from './LanguageSelect';
import { Logo } from './Logo';
import { RoleBadge } from './Role';

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
    id: 'review',
    label: 'nav.review',
    adminOnly: false,
    icon: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8M4 21v-1a6 6 0 0 1 9-5.2M17 14v7M20.5 17.5h-7',
  },
  {
    id: 'manage',
    label: 'nav.manage',
    adminOnly: false,
    icon: 'M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8M23 21v-2a4 4 0 0 0-3-3.87M16 3.13a4 4 0 0 1 0 7.75',
  },
  {
    id: 'integrations',
    label: 'nav.integrations',
    adminOnly: true,
    icon: 'M4 12h4l3-8 4 16 3-8h2',
  },
];

export function Header({ mode, onLogout }: { mode: string; onLogout: () => void }) {
  const { t } = useI18n();
  const { user, isAdmin } = useSession();
  return (
    <header className="header">
      <a className="brand" href={href('recognize')}>
        <Logo />
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
            <Icon path={m.icon} size={18} strokeWidth={2} />
            <span>{t(m.label)}</span>
          </a>
        ))}
      </nav>
      <div className="header-tools">
        <LanguageSelect />
        <span className="user-chip" title={t(`role.${user.role}`)}>
          <span className="avatar" aria-hidden="true">
            {user.name.slice(0, 1).toUpperCase()}
          </span>
          <span className="user-name">{user.name}</span>
          <RoleBadge role={user.role} />
        </span>
        <button type="button" className="ghost" onClick={onLogout} data-testid="logout">
          {t('nav.logout')}
        </button>
      </div>
    </header>
  );
}
