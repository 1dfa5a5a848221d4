// Who a face is, as every list of faces shows it: the name in bold, or an "unknown" tag.
import { useI18n } from '../i18n';

export function UnknownTag() {
  const { t } = useI18n();
  return <span className="tag unknown">{t('face.unknown')}</span>;
}

export function FaceName({ name, testId }: { name: string | null; testId?: string }) {
  return name ? <strong data-testid={testId}>{name}</strong> : <UnknownTag />;
}
