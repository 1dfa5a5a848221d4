import { useI18n } from '../../i18n';

export function Pager({
  total,
  offset,
  limit,
  onOffset,
}: {
  total: number;
  offset: number;
  limit: number;
  onOffset: (o: number) => void;
}) {
  const { t } = useI18n();
  if (total <= limit) return null;
  return (
    <div className="pager">
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
        {t('common.previous')}
      </button>
      <span className="muted">
        {t('common.range', { from: offset + 1, to: Math.min(total, offset + limit), total })}
      </span>
      <button type="button" disabled={offset + limit >= total} onClick={() => onOffset(offset + limit)}>
        {t('common.next')}
      </button>
    </div>
  );
}
