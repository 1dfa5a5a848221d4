// Pick another existing person (to merge into, or to move a sample to).
import { useCallback, useState, type ReactNode } from 'react';
import { useI18n } from '../i18n';
import type { Person } from '../lib/api';
import { ActionDialog } from './Modal';
import { PersonNameInput } from './PersonNameInput';

export function ChoosePersonDialog(props: {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  excludeId: number;
  busy: boolean;
  error: string | null;
  onChoose: (person: Person) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [name, setName] = useState('');
  const [match, setMatch] = useState<Person | null>(null);
  const onMatch = useCallback((p: Person | null) => setMatch(p), []);
  // The match arrives after a short delay: it counts only while it is still the name in the field.
  const current =
    match !== null && match.name.toLowerCase() === name.trim().normalize('NFC').toLowerCase() ? match : null;
  const valid = current !== null && current.id !== props.excludeId;
  return (
    <ActionDialog
      title={props.title}
      actionLabel={props.confirmLabel}
      onAction={() => current && props.onChoose(current)}
      onCancel={props.onCancel}
      disabled={!valid || props.busy}
      error={props.error}
    >
      <p>{props.message}</p>
      <label className="field">
        <span>{t('manage.targetPerson')}</span>
        <PersonNameInput value={name} onChange={setName} onMatch={onMatch} autoFocus testId="target-person" />
      </label>
      {name.trim() && !valid && (
        <small className="muted">{current ? t('manage.samePerson') : t('manage.noSuchPerson')}</small>
      )}
    </ActionDialog>
  );
}
