// API keys (admins): create one (its secret is shown once, here), list, revoke.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Alert, Spinner } from '../../components/Alert';
import { ConfirmDialog, Modal } from '../../components/Modal';
import { useI18n } from '../../i18n';
import { api } from '../../lib/api';
import type { ApiKeyItem, Role } from '../../lib/types';

export function ApiKeysView() {
  const { t, tError, date } = useI18n();
  const [items, setItems] = useState<ApiKeyItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyItem | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);

  const load = useCallback(() => {
    api
      .apiKeys()
      .then((r) => setItems(r.items))
      .catch((e) => setError(tError(e)));
  }, [tError]);
  useEffect(load, [load]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const k = await api.createApiKey(name.trim(), role);
      setCreated({ name: k.name, key: k.key });
      setCopied(false);
      setName('');
      load();
    } catch (err) {
      setError(tError(err));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async () => {
    if (!revoking) return;
    setBusy(true);
    try {
      await api.revokeApiKey(revoking.id);
      setRevoking(null);
      load();
    } catch (err) {
      setError(tError(err));
      setRevoking(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="stack">
      <section className="card">
        <h3>{t('keys.create')}</h3>
        <p className="muted">{t('keys.explain')}</p>
        <form className="inline-form" onSubmit={(e) => void create(e)}>
          <label className="field">
            <span>{t('keys.name')}</span>
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              required
              maxLength={100}
              data-testid="key-name"
            />
          </label>
          <label className="field">
            <span>{t('users.role')}</span>
            <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
              <option value="viewer">{t('role.viewer')}</option>
              <option value="admin">{t('role.admin')}</option>
            </select>
          </label>
          <button type="submit" className="primary" disabled={busy || !name.trim()} data-testid="key-create">
            {t('keys.createButton')}
          </button>
        </form>
        {error && <Alert>{error}</Alert>}
      </section>
      <section className="card">
        <h3>{t('keys.title')}</h3>
        {!items ? (
          <Spinner />
        ) : items.length === 0 ? (
          <p className="muted empty">{t('keys.empty')}</p>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="keys-table">
              <thead>
                <tr>
                  <th>{t('keys.name')}</th>
                  <th>{t('users.role')}</th>
                  <th>{t('users.created')}</th>
                  <th>{t('keys.lastUsed')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {items.map((k) => (
                  <tr key={k.id}>
                    <td>{k.name}</td>
                    <td>
                      <span className={`role-badge ${k.role}`}>{t(`role.${k.role}`)}</span>
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
              </tbody>
            </table>
          </div>
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
          onConfirm={() => void revoke()}
        />
      )}
    </div>
  );
}
