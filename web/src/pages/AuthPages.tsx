// First run (create the admin password) and login.
import { useState, type FormEvent, type ReactNode } from 'react';
import { Alert } from '../components/Alert';
import { LANGS, useI18n, type Lang } from '../i18n';
import { api } from '../lib/api';
import type { SessionInfo } from '../lib/types';

const MIN_PASSWORD = 8;

function AuthFrame({ title, subtitle, children }: { title: string; subtitle: string; children: ReactNode }) {
  const { lang, setLang, t } = useI18n();
  return (
    <div className="auth-screen">
      <div className="auth-card">
        <div className="auth-head">
          <span className="logo big" aria-hidden="true">
            <svg viewBox="0 0 32 32" width="44" height="44">
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
        </div>
        <h1>{title}</h1>
        <p className="muted">{subtitle}</p>
        {children}
      </div>
      <p className="auth-foot muted">{t('app.tagline')}</p>
    </div>
  );
}

export function SetupPage({ onDone }: { onDone: (s: SessionInfo) => void }) {
  const { t, tError } = useI18n();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (password.length < MIN_PASSWORD) return setError(t('setup.tooShort', { n: MIN_PASSWORD }));
    if (password !== repeat) return setError(t('setup.mismatch'));
    setBusy(true);
    setError(null);
    try {
      onDone(await api.setup(password));
    } catch (err) {
      setError(tError(err));
      setBusy(false);
    }
  };

  return (
    <AuthFrame title={t('setup.title')} subtitle={t('setup.subtitle')}>
      <form onSubmit={submit} className="form" data-testid="setup-form">
        <label>
          <span>{t('auth.username')}</span>
          <input value="admin" readOnly disabled />
        </label>
        <label>
          <span>{t('setup.password')}</span>
          <input
            type="password"
            name="password"
            autoComplete="new-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            autoFocus
          />
          <small className="muted">{t('setup.passwordHint', { n: MIN_PASSWORD })}</small>
        </label>
        <label>
          <span>{t('setup.repeat')}</span>
          <input
            type="password"
            name="repeat"
            autoComplete="new-password"
            value={repeat}
            onChange={(e) => setRepeat(e.target.value)}
            required
          />
        </label>
        {error && <Alert>{error}</Alert>}
        <button type="submit" className="primary wide" disabled={busy}>
          {t('setup.submit')}
        </button>
      </form>
    </AuthFrame>
  );
}

export function LoginPage({ onDone }: { onDone: (s: SessionInfo) => void }) {
  const { t, tError } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(await api.login(username.trim(), password));
    } catch (err) {
      setError(tError(err));
      setBusy(false);
    }
  };

  return (
    <AuthFrame title={t('login.title')} subtitle={t('login.subtitle')}>
      <form onSubmit={submit} className="form" data-testid="login-form">
        <label>
          <span>{t('auth.username')}</span>
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
            autoFocus
          />
        </label>
        <label>
          <span>{t('auth.password')}</span>
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        {error && <Alert>{error}</Alert>}
        <button type="submit" className="primary wide" disabled={busy}>
          {t('login.submit')}
        </button>
      </form>
    </AuthFrame>
  );
}
