// Users (admins): list, create (viewers or admins), delete — never yourself.
import { useState, type FormEvent } from 'react';
import { Alert, Spinner } from '../../components/Alert';
import { ConfirmDialog } from '../../components/Modal';
import { RoleBadge, RoleField } from '../../components/Role';
import { Table } from '../../components/Table';
import { TextField } from '../../components/TextField';
import { useI18n } from '../../i18n';
import { api } from '../../lib/api';
import { passwordTooShort } from '../../lib/password';
import { useAction, useFetched } from '../../lib/requests';
import { useSession } from '../../lib/session';
import type { Role, UserListItem } from '../../lib/api';

export function UsersView() {
  const { t, date } = useI18n();
  const { user } = useSession();
  const users = useFetched(() => api.users(), []);
  const { busy, error, setError, run } = useAction();
  const [notice, setNotice] = useState<string | null>(null);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [deleting, setDeleting] = useState<UserListItem | null>(null);

  const create = (e: FormEvent) => {
    e.preventDefault();
    setNotice(null);
    const tooShort = passwordTooShort(password, t);
    if (tooShort) return setError(tooShort);
    void run(async () => {
      await api.createUser(username.trim(), password, role);
      setNotice(t('users.createdMessage', { name: username.trim() }));
      setUsername('');
      setPassword('');
      users.reload();
    });
  };

  const remove = async (item: UserListItem) => {
    await run(async () => {
      await api.deleteUser(item.name);
      users.reload();
    });
    setDeleting(null);
  };

  const items = users.value?.items;
  const problem = error ?? users.error;
  return (
    <div className="stack">
      <section className="card">
        <h3>{t('users.create')}</h3>
        <form className="inline-form" onSubmit={create} data-testid="user-form">
          <TextField
            label={t('auth.username')}
            value={username}
            onChange={setUsername}
            required
            maxLength={64}
            autoComplete="off"
            data-testid="user-name"
          />
          <TextField
            label={t('auth.password')}
            type="password"
            value={password}
            onChange={setPassword}
            required
            autoComplete="new-password"
            data-testid="user-password"
          />
          <RoleField value={role} onChange={setRole} testId="user-role" />
          <button type="submit" className="primary" disabled={busy} data-testid="user-create">
            {t('users.createButton')}
          </button>
        </form>
        {problem && <Alert>{problem}</Alert>}
        {notice && <Alert kind="success">{notice}</Alert>}
      </section>
      <section className="card">
        <h3>{t('users.title')}</h3>
        {!items ? (
          <Spinner />
        ) : (
          <Table
            testId="users-table"
            head={
              <>
                <th>{t('auth.username')}</th>
                <th>{t('users.role')}</th>
                <th>{t('users.created')}</th>
                <th />
              </>
            }
          >
            {items.map((u) => (
              <tr key={u.name}>
                <td>
                  {u.name}
                  {u.name === user.name && <span className="tag after-text">{t('users.you')}</span>}
                </td>
                <td>
                  <RoleBadge role={u.role} />
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
          </Table>
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
          onConfirm={() => void remove(deleting)}
        />
      )}
    </div>
  );
}
