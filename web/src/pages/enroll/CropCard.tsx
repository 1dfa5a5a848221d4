// One face crop offered for enrolment: the crop, its quality figures, and keep / drop.
import { useI18n } from '../../i18n';
import type { Box, Quality } from '../../lib/api';

export interface Crop {
  key: number;
  /** The photo or camera frame it came from, and the face's number in it. */
  source: string;
  face: number;
  crop: string;
  /**
   * What to upload for this face: the image itself when it has this one face only (the server keeps its
   * full detail and recognises it if sent again), else the crop, which has exactly one face.
   */
  upload: { name: string; blob: Blob };
  quality: Quality;
  box: Box;
  keep: boolean;
}

export function CropCard({ crop, onToggle }: { crop: Crop; onToggle: () => void }) {
  const { t, number } = useI18n();
  const q = crop.quality;
  return (
    <figure className={`crop-card${crop.keep ? ' kept' : ' dropped'}`} data-testid="crop">
      <button
        type="button"
        className="crop-image"
        onClick={onToggle}
        aria-pressed={crop.keep}
        title={crop.keep ? t('enroll.drop') : t('enroll.keep')}
      >
        <img src={crop.crop} alt={`${crop.source} #${crop.face}`} />
        <span className="crop-check" aria-hidden="true">
          {crop.keep ? '✓' : ''}
        </span>
      </button>
      <figcaption>
        <span className="ellipsis" title={crop.source}>
          {crop.source} · #{crop.face}
        </span>
        <dl className="quality">
          <dt>{t('quality.size')}</dt>
          <dd>{Math.round(q.size)} px</dd>
          <dt>{t('quality.sharpness')}</dt>
          <dd>{Math.round(q.sharpness)}</dd>
          <dt>{t('quality.pose')}</dt>
          <dd>
            {number(q.yaw, 0)}° / {number(q.pitch, 0)}°
          </dd>
        </dl>
        <button
          type="button"
          className={`small wide ${crop.keep ? '' : 'primary'}`}
          onClick={onToggle}
          data-testid="crop-toggle"
        >
          {crop.keep ? t('enroll.drop') : t('enroll.keep')}
        </button>
      </figcaption>
    </figure>
  );
}
