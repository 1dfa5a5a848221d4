// The security level of recognition (Recognize page setting): strict names fewer strangers and fewer
// people, lenient more; remembered in localStorage and sent with every recognition request.
import { useState } from 'react';
import { useI18n } from '../i18n';
import { currentLevel, saveLevel, SECURITY_LEVELS, type SecurityLevel } from '../lib/level';

export function LevelSelect() {
  const { t } = useI18n();
  const [level, setLevel] = useState<SecurityLevel>(currentLevel());
  return (
    <label className="field inline level-select">
      <span>{t('level.label')}</span>
      <select
        value={level}
        onChange={(e) => {
          const l = e.target.value as SecurityLevel;
          saveLevel(l);
          setLevel(l);
        }}
        title={t('level.hint')}
        data-testid="level-select"
      >
        <LevelOptions />
      </select>
    </label>
  );
}

/** The three levels as <option>s, in their order (also the camera form's level select). */
export function LevelOptions() {
  const { t } = useI18n();
  return (
    <>
      {SECURITY_LEVELS.map((l) => (
        <option key={l} value={l}>
          {t(`level.${l}`)}
        </option>
      ))}
    </>
  );
}
