// Take face crops from the webcam: each press of Capture grabs the current frame.
import { useRef, useState } from 'react';
import { Alert } from '../../components/Alert';
import { useI18n } from '../../i18n';
import { CAMERA_HEIGHT, CAMERA_WIDTH, useCamera } from '../../lib/camera';
import { grabFrame } from '../../lib/image';

export function CameraCapture({ onCapture }: { onCapture: (jpeg: Blob, n: number) => void }) {
  const { t, tCode } = useI18n();
  const camera = useCamera();
  const count = useRef(0);
  const [flash, setFlash] = useState(false);

  const capture = async () => {
    const video = camera.videoRef.current;
    if (!video) return;
    const jpeg = await grabFrame(video, undefined, 0.92);
    setFlash(true);
    setTimeout(() => setFlash(false), 150);
    onCapture(jpeg, ++count.current);
  };

  return (
    <div className="stack">
      <div
        className={`video-frame small${flash ? ' flash' : ''}`}
        style={{ aspectRatio: `${CAMERA_WIDTH} / ${CAMERA_HEIGHT}` }}
      >
        <video ref={camera.videoRef} muted playsInline data-testid="capture-video" />
        {!camera.active && (
          <div className="video-placeholder">
            <span>{t('live.off')}</span>
          </div>
        )}
      </div>
      <div className="row">
        {camera.active ? (
          <>
            <button type="button" className="primary" onClick={() => void capture()} data-testid="capture">
              {t('enroll.capture')}
            </button>
            <button type="button" onClick={camera.stop}>
              {t('live.stop')}
            </button>
          </>
        ) : (
          <button
            type="button"
            className="primary"
            onClick={() => void camera.start()}
            data-testid="camera-start"
          >
            {t('enroll.startCamera')}
          </button>
        )}
      </div>
      {camera.error && <Alert>{tCode(camera.error)}</Alert>}
    </div>
  );
}
