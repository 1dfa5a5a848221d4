// First run (create the admin password) and login.
import { useState, type FormEvent, type ReactNode } from 'react';
import { Alert } from '../components/Alert';
import { LanguageSelect } from '../components/LanguageSelect';
import { Logo } from '../components/Logo';
import { TextField } from '../components/TextField';
import { useI18n } from '../i18n';
import { api } from '../lib/api';
import { MIN_PASSWORD, passwordTooShort } from '../lib/password';
import { useAction } from '../lib/requests';
import type { SessionInfo } from '../lib/api';

/**
 * A sign-in page: its form sends with `send` (after `check`, which names what is wrong, if anything) and
 * hands the new session to `onDone`.
 */
function AuthForm(props: {
  title: string;
  subtitle: string;
  testId: string;
  submitLabel: string;
  check?: () => string | null;
  send: () => Promise<SessionInfo>;
  onDone: (s: SessionInfo) => void;
  children: ReactNode;
}) {
  const { t } = useI18n();
  const { busy, error, setError, run } = useAction();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problem = props.check?.();
    if (problem) return setError(problem);
    void run(async () => props.onDone(await props.send()));
  };

  return (
    <div className="auth-screen">
      <div className="auth-card">
        <div className="auth-head">
          <Logo big />
          <LanguageSelect />
        </div>
        <h1>{props.title}</h1>
        <p className="muted">{props.subtitle}</p>
        <form onSubmit={submit} className="form" data-testid={props.testId}>
          {props.children}
          {error && <Alert>{error}</Alert>}
          <button type="submit" className="primary wide" disabled={busy}>
            {props.submitLabel}
          </button>
        </form>
      </div>
      <p className="auth-foot muted">{t('app.tagline')}</p>
    </div>
  );
}

export function SetupPage({ onDone }: { onDone: (s: SessionInfo) => void }) {
  const { t } = useI18n();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  return (
    <AuthForm
      title={t('setup.title')}
      subtitle={t('setup.subtitle')}
      testId="setup-form"
      submitLabel={t('setup.submit')}
      check={() => passwordTooShort(password, t) ?? (password !== repeat ? t('setup.mismatch') : null)}
      send={() => api.setup(password)}
      onDone={onDone}
    >
      <TextField label={t('auth.username')} value="admin" readOnly disabled />
      <TextField
        label={t('setup.password')}
        hint={t('setup.passwordHint', { n: MIN_PASSWORD })}
        type="password"
        name="password"
        autoComplete="new-password"
        value={password}
        onChange={setPassword}
        required
        autoFocus
      />
      <TextField
        label={t('setup.repeat')}
        type="password"
        name="repeat"
        autoComplete="new-password"
        value={repeat}
        onChange={setRepeat}
        required
      />
    </AuthForm>
  );
}

export function LoginPage({ onDone }: { onDone: (s: SessionInfo) => void }) {
  const { t } = useI18n();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  return (
    <AuthForm
      title={t('login.title')}
      subtitle={t('login.subtitle')}
      testId="login-form"
      submitLabel={t('login.submit')}
      send={() => api.login(username.trim(), password)}
      onDone={onDone}
    >
      <TextField
        label={t('auth.username')}
        name="username"
        autoComplete="username"
        value={username}
        onChange={setUsername}
        required
        autoFocus
      />
      <TextField
        label={t('auth.password')}
        type="password"
        name="password"
        autoComplete="current-password"
        value={password}
        onChange={setPassword}
        required
      />
    </AuthForm>
  );
}
