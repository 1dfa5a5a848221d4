// Users (admins): list, create (viewers or admins), delete — never yourself.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Alert, Spinner } from '../../components/Alert';
import { ConfirmDialog } from '../../components/Modal';
import { useI18n } from '../../i18n';
import { api } from '../../lib/api';
import { useSession } from '../../lib/session';
import type { Role, UserItem } from '../../lib/types';

const MIN_PASSWORD = 8;

export function UsersView() {
  const { t, tError, date } = useI18n();
  const { user } = useSession();
  const [items, setItems] = useState<UserItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [deleting, setDeleting] = useState<UserItem | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    api
      .users()
      .then((r) => setItems(r.items))
      .catch((e) => setError(tError(e)));
  }, [tError]);
  useEffect(load, [load]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setNotice(null);
    if (password.length < MIN_PASSWORD) return setError(t('setup.tooShort', { n: MIN_PASSWORD }));
    setBusy(true);
    try {
      await api.createUser(username.trim(), password, role);
      setNotice(t('users.createdMessage', { name: username.trim() }));
      setUsername('');
      setPassword('');
      load();
    } catch (err) {
      setError(tError(err));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!deleting) return;
    setBusy(true);
    try {
      await api.deleteUser(deleting.name);
      load();
    } catch (err) {
      setError(tError(err));
    } finally {
      setDeleting(null);
      setBusy(false);
    }
  };

  return (
    <div className="stack">
      <section className="card">
        <h3>{t('users.create')}</h3>
        <form className="inline-form" onSubmit={(e) => void create(e)} data-testid="user-form">
          <label className="field">
            <span>{t('auth.username')}</span>
            <input
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              required
              maxLength={64}
              autoComplete="off"
              data-testid="user-name"
            />
          </label>
          <label className="field">
            <span>{t('auth.password')}</span>
            <input
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
              autoComplete="new-password"
              data-testid="user-password"
            />
          </label>
          <label className="field">
            <span>{t('users.role')}</span>
            <select value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="user-role">
              <option value="viewer">{t('role.viewer')}</option>
              <option value="admin">{t('role.admin')}</option>
            </select>
          </label>
          <button type="submit" className="primary" disabled={busy} data-testid="user-create">
            {t('users.createButton')}
          </button>
        </form>
        {error && <Alert>{error}</Alert>}
        {notice && <Alert kind="success">{notice}</Alert>}
      </section>
      <section className="card">
        <h3>{t('users.title')}</h3>
        {!items ? (
          <Spinner />
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="users-table">
              <thead>
                <tr>
                  <th>{t('auth.username')}</th>
                  <th>{t('users.role')}</th>
                  <th>{t('users.created')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {items.map((u) => (
                  <tr key={u.name}>
                    <td>
                      {u.name}
                      {u.name === user.name && <span className="tag after-text">{t('users.you')}</span>}
                    </td>
                    <td>
                      <span className={`role-badge ${u.role}`}>{t(`role.${u.role}`)}</span>
                    </td>
                    <td className="nowrap">{date(u.createdAt)}</td>
                    <td className="actions">
                      {u.name !== user.name && (
                        <button type="button" className="small danger-text" onClick={() => setDeleting(u)}>
                          {t('common.delete')}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {deleting && (
        <ConfirmDialog
          title={t('users.deleteTitle')}
          message={t('users.deleteMessage', { name: deleting.name })}
          confirmLabel={t('common.delete')}
          danger
          busy={busy}
          onCancel={() => setDeleting(null)}
          onConfirm={() => void remove()}
        />
      )}
    </div>
  );
}
