// A role shown as a badge, and chosen in the forms that create users and API keys.
import { useI18n } from '../i18n';
import type { Role } from '../lib/api';

export function RoleBadge({ role }: { role: Role }) {
  const { t } = useI18n();
  return <span className={`role-badge ${role}`}>{t(`role.${role}`)}</span>;
}

export function RoleField({
  value,
  onChange,
  testId,
}: {
  value: Role;
  onChange: (role: Role) => void;
  testId?: string;
}) {
  const { t } = useI18n();
  return (
    <label className="field">
      <span>{t('users.role')}</span>
      <select value={value} onChange={(e) => onChange(e.target.value as Role)} data-testid={testId}>
        <option value="viewer">{t('role.viewer')}</option>
        <option value="admin">{t('role.admin')}</option>
      </select>
    </label>
  );
}
