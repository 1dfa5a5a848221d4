// API keys (admins): create one (its secret is shown once, here), list, revoke.
import { useState, type FormEvent } from 'react';
import { Alert, Spinner } from '../../components/Alert';
import { ConfirmDialog, Modal } from '../../components/Modal';
import { RoleBadge, RoleField } from '../../components/Role';
import { Table } from '../../components/Table';
import { TextField } from '../../components/TextField';
import { useI18n } from '../../i18n';
import { api } from '../../lib/api';
import { useAction, useFetched } from '../../lib/requests';
import type { ApiKey, Role } from '../../lib/api';

export function ApiKeysView() {
  const { t, date } = useI18n();
  const keys = useFetched(() => api.apiKeys(), []);
  const { busy, error, run } = useAction();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [copied, setCopied] = useState(false);

  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const k = await api.createApiKey(name.trim(), role);
      setCreated({ name: k.name, key: k.key });
      setCopied(false);
      setName('');
      keys.reload();
    });
  };

  const revoke = async (key: ApiKey) => {
    await run(async () => {
      await api.revokeApiKey(key.id);
      keys.reload();
    });
    setRevoking(null);
  };

  const items = keys.value?.items;
  const problem = error ?? keys.error;
  return (
    <div className="stack">
      <section className="card">
        <h3>{t('keys.create')}</h3>
        <p className="muted">{t('keys.explain')}</p>
        <form className="inline-form" onSubmit={create}>
          <TextField
            label={t('keys.name')}
            value={name}
            onChange={setName}
            required
            maxLength={100}
            data-testid="key-name"
          />
          <RoleField value={role} onChange={setRole} />
          <button type="submit" className="primary" disabled={busy || !name.trim()} data-testid="key-create">
            {t('keys.createButton')}
          </button>
        </form>
        {problem && <Alert>{problem}</Alert>}
      </section>
      <section className="card">
        <h3>{t('keys.title')}</h3>
        {!items ? (
          <Spinner />
        ) : items.length === 0 ? (
          <p className="muted empty">{t('keys.empty')}</p>
        ) : (
          <Table
            testId="keys-table"
            head={
              <>
                <th>{t('keys.name')}</th>
                <th>{t('users.role')}</th>
                <th>{t('users.created')}</th>
                <th>{t('keys.lastUsed')}</th>
                <th />
              </>
            }
          >
            {items.map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>
                  <RoleBadge role={k.role} />
                </td>
                <td className="nowrap">{date(k.createdAt)}</td>
                <td className="nowrap">{date(k.lastUsedAt)}</td>
                <td className="actions">
                  <button
                    type="button"
                    className="small danger-text"
                    onClick={() => setRevoking(k)}
                    data-testid="key-revoke"
                  >
                    {t('keys.revoke')}
                  </button>
                </td>
              </tr>
            ))}
          </Table>
        )}
      </section>
      {created && (
        <Modal
          title={t('keys.createdTitle')}
          onClose={() => setCreated(null)}
          footer={
            <button type="button" className="primary" onClick={() => setCreated(null)}>
              {t('common.done')}
            </button>
          }
        >
          <p>{t('keys.createdMessage', { name: created.name })}</p>
          <div className="secret">
            <code data-testid="new-key">{created.key}</code>
            <button
              type="button"
              className="small"
              onClick={() =>
                void navigator.clipboard
                  ?.writeText(created.key)
                  .then(() => setCopied(true))
                  .catch(() => undefined)
              }
            >
              {copied ? t('common.copied') : t('common.copy')}
            </button>
          </div>
        </Modal>
      )}
      {revoking && (
        <ConfirmDialog
          title={t('keys.revokeTitle')}
          message={t('keys.revokeMessage', { name: revoking.name })}
          confirmLabel={t('keys.revoke')}
          danger
          busy={busy}
          onCancel={() => setRevoking(null)}
          onConfirm={() => void revoke(revoking)}
        />
      )}
    </div>
  );
}
