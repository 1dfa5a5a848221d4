// The app shell: first-run setup, login, then the three modes under one header.
import { useCallback, useEffect, useState } from 'react';
import { Alert, Spinner } from './components/Alert';
import { Header } from './components/Header';
import { useI18n } from './i18n';
import { api, ApiError, setCsrfToken, setUnauthorizedHandler } from './lib/api';
import { navigate, useRoute } from './lib/router';
import { capabilitiesOf, SessionContext, type Capabilities } from './lib/session';
import type { SessionInfo } from './lib/api';
import { LoginPage, SetupPage } from './pages/AuthPages';
import { EnrollPage } from './pages/enroll/EnrollPage';
import { IntegrationsPage } from './pages/integrations/IntegrationsPage';
import { ManagePage } from './pages/manage/ManagePage';
import { RecognizePage } from './pages/recognize/RecognizePage';
import { ReviewPage } from './pages/review/ReviewPage';

type AuthState =
  | { kind: 'loading' }
  | { kind: 'offline' }
  | { kind: 'setup' }
  | { kind: 'login' }
  | { kind: 'ready'; session: SessionInfo };

const NO_CAPABILITIES: Capabilities = {
  correct: false,
  undoCorrection: false,
  videos: false,
  cameras: false,
};

export function App() {
  const { t } = useI18n();
  const [auth, setAuth] = useState<AuthState>({ kind: 'loading' });
  const [capabilities, setCapabilities] = useState<Capabilities>(NO_CAPABILITIES);

  const load = useCallback(async () => {
    setAuth({ kind: 'loading' });
    try {
      if ((await api.setupState()).needsSetup) return setAuth({ kind: 'setup' });
      const session = await api.session();
      setCsrfToken(session.csrfToken);
      setAuth({ kind: 'ready', session });
    } catch (e) {
      setAuth({ kind: e instanceof ApiError && e.status === 401 ? 'login' : 'offline' });
    }
  }, []);

  useEffect(() => {
    void load();
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      setAuth({ kind: 'login' });
    });
    return () => setUnauthorizedHandler(null);
  }, [load]);

  const signedIn = (session: SessionInfo) => {
    setCsrfToken(session.csrfToken);
    setAuth({ kind: 'ready', session });
  };

  useEffect(() => {
    if (auth.kind !== 'ready') return;
    api
      .openapi()
      .then((doc) => setCapabilities(capabilitiesOf(Object.keys(doc.paths ?? {}))))
      .catch(() => setCapabilities(NO_CAPABILITIES));
  }, [auth.kind]);

  const logout = async () => {
    try {
      await api.logout();
    } finally {
      setCsrfToken(null);
      setAuth({ kind: 'login' });
    }
  };

  switch (auth.kind) {
    case 'loading':
      return (
        <div className="center-screen">
          <Spinner label={t('common.loading')} />
        </div>
      );
    case 'offline':
      return (
        <div className="center-screen">
          <div className="card narrow">
            <Alert>{t('app.offline')}</Alert>
            <button type="button" className="primary" onClick={() => void load()}>
              {t('common.retry')}
            </button>
          </div>
        </div>
      );
    case 'setup':
      return <SetupPage onDone={signedIn} />;
    case 'login':
      return <LoginPage onDone={signedIn} />;
    case 'ready':
      return (
        <SessionContext.Provider
          value={{ user: auth.session.user, isAdmin: auth.session.user.role === 'admin', capabilities }}
        >
          <Shell onLogout={logout} />
        </SessionContext.Provider>
      );
  }
}

function Shell({ onLogout }: { onLogout: () => void }) {
  const { t } = useI18n();
  const route = useRoute();
  const [mode, ...rest] = route;
  useEffect(() => {
    if (!['recognize', 'enroll', 'manage', 'review', 'integrations'].includes(mode ?? ''))
      navigate('recognize');
  }, [mode]);
  return (
    <div className="app">
      <Header mode={mode ?? 'recognize'} onLogout={onLogout} />
      <main className="content">
        {mode === 'enroll' ? (
          <EnrollPage route={rest} />
        ) : mode === 'manage' ? (
          <ManagePage route={rest} />
        ) : mode === 'review' ? (
          <ReviewPage route={rest} />
        ) : mode === 'integrations' ? (
          <IntegrationsPage />
        ) : (
          <RecognizePage route={rest} />
        )}
      </main>
      <footer className="app-footer">
        {/* The HTTP API's own documentation (OpenAPI), served by this server; English only. */}
        <a href="/docs" target="_blank" rel="noopener" data-testid="docs-link">
          {t('app.docs')}
        </a>
      </footer>
    </div>
  );
}
