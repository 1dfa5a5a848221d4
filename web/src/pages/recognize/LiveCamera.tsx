// Live recognition from the webcam: frames go to the server over a WebSocket and the answers are drawn on
// a canvas over the video, with frames/s and latency.
import { useCallback, useEffect, useRef, useState } from 'react';
import { Alert } from '../../components/Alert';
import { FaceName } from '../../components/FaceName';
import { useFaceWhy } from '../../components/FaceWhy';
import { Icon } from '../../components/Icon';
import { useI18n } from '../../i18n';
import { CAMERA_HEIGHT, CAMERA_WIDTH, useCamera } from '../../lib/camera';
import { LiveSession, type LiveState, type LiveStats } from '../../lib/live';
import { LiveResults, useLiveResults } from './LiveResults';
import type { LiveFace, LiveFrame } from '../../lib/api';

const KNOWN = '#16a34a';
const UNKNOWN = '#f97316';

export function LiveCamera() {
  const { t, tCode, number } = useI18n();
  const camera = useCamera();
  const overlay = useRef<HTMLCanvasElement>(null);
  const session = useRef<LiveSession | null>(null);
  const [state, setState] = useState<LiveState>('closed');
  const [stats, setStats] = useState<LiveStats | null>(null);
  const [inView, setInView] = useState<LiveFace[]>([]);
  const why = useFaceWhy();
  const results = useLiveResults();
  const unknownLabel = useRef('');
  unknownLabel.current = t('face.unknown');

  const draw = useCallback(
    (m: LiveFrame) => {
      const canvas = overlay.current;
      const video = camera.videoRef.current;
      if (!canvas || !video) return;
      canvas.width = video.videoWidth || CAMERA_WIDTH;
      canvas.height = video.videoHeight || CAMERA_HEIGHT;
      const g = canvas.getContext('2d')!;
      g.clearRect(0, 0, canvas.width, canvas.height);
      // Drawn in video pixels but seen scaled: keep labels and lines the same size on screen at any width.
      const px = canvas.width / (canvas.clientWidth || canvas.width);
      const line = 24 * px;
      g.font = `600 ${15 * px}px system-ui, "PingFang SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif`;
      g.textBaseline = 'top';
      for (const f of m.faces) {
        const color = f.name ? KNOWN : UNKNOWN;
        const label = f.name ? `${f.name} ${f.score.toFixed(2)}` : unknownLabel.current;
        g.strokeStyle = color;
        g.lineWidth = 2.5 * px;
        g.strokeRect(f.box.x, f.box.y, f.box.width, f.box.height);
        const w = g.measureText(label).width + 12 * px;
        const y = f.box.y >= line ? f.box.y - line : f.box.y + f.box.height;
        g.fillStyle = color;
        g.fillRect(f.box.x - 1.25 * px, y, w, line);
        g.fillStyle = '#fff';
        g.fillText(label, f.box.x + 5 * px, y + 4.5 * px);
      }
      setInView(m.faces);
      results.record(m, video);
    },
    [camera.videoRef, results.record],
  );

  const stop = useCallback(() => {
    session.current?.stop();
    session.current = null;
    camera.stop();
    overlay.current?.getContext('2d')?.clearRect(0, 0, overlay.current.width, overlay.current.height);
    setInView([]);
  }, [camera]);

  const start = async () => {
    stop(); // after a lost connection the camera may still run: start afresh
    setStats(null);
    results.reset();
    if (!(await camera.start())) return;
    const live = new LiveSession(camera.videoRef.current!, draw, setStats, setState);
    session.current = live;
    live.start();
  };

  useEffect(() => () => session.current?.stop(), []);

  const running = camera.active && state !== 'failed';
  return (
    <>
      <div className="live-layout">
        <section className="card live-stage">
          <div className="video-frame" style={{ aspectRatio: `${CAMERA_WIDTH} / ${CAMERA_HEIGHT}` }}>
            <video ref={camera.videoRef} muted playsInline data-testid="live-video" />
            <canvas ref={overlay} width={CAMERA_WIDTH} height={CAMERA_HEIGHT} data-testid="live-overlay" />
            {!camera.active && (
              <div className="video-placeholder">
                <Icon
                  path="M15 10l4.55-2.28A1 1 0 0 1 21 8.62v6.76a1 1 0 0 1-1.45.9L15 14M5 18h8a2 2 0 0 0 2-2V8a2 2 0 0 0-2-2H5a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2z"
                  size={40}
                  strokeWidth={1.6}
                />
                <span>{t('live.off')}</span>
              </div>
            )}
          </div>
          <div className="live-controls">
            {running ? (
              <button type="button" onClick={stop} data-testid="live-stop">
                {t('live.stop')}
              </button>
            ) : (
              <button type="button" className="primary" onClick={() => void start()} data-testid="live-start">
                {t('live.start')}
              </button>
            )}
            <span className={`tag ${state}`}>{t(`live.state.${state}`)}</span>
          </div>
          {camera.error && <Alert>{tCode(camera.error)}</Alert>}
          {state === 'failed' && <Alert>{t('live.failed')}</Alert>}
        </section>
        <aside className="card live-side">
          <h3>{t('live.stats')}</h3>
          <dl
            className="stats"
            data-testid="live-stats"
            data-frames={stats?.frames ?? 0}
            data-fps={stats?.fps.toFixed(2) ?? '0'}
            data-latency-p50={stats?.latencyP50.toFixed(1) ?? '0'}
            data-latency-p95={stats?.latencyP95.toFixed(1) ?? '0'}
            data-server-p50={stats?.serverP50.toFixed(1) ?? '0'}
            data-dropped={stats?.dropped ?? 0}
          >
            <div>
              <dt>{t('live.fps')}</dt>
              <dd>{stats ? number(stats.fps, 1) : '—'}</dd>
            </div>
            <div>
              <dt>{t('live.latency')}</dt>
              <dd>{stats ? `${Math.round(stats.latencyP50)} ms` : '—'}</dd>
            </div>
            <div>
              <dt>{t('live.server')}</dt>
              <dd>{stats ? `${Math.round(stats.serverP50)} ms` : '—'}</dd>
            </div>
            <div>
              <dt>{t('live.frames')}</dt>
              <dd>{stats?.frames ?? 0}</dd>
            </div>
            <div>
              <dt>{t('live.dropped')}</dt>
              <dd>{stats?.dropped ?? 0}</dd>
            </div>
          </dl>
          <h3>{t('live.inView')}</h3>
          {inView.length === 0 ? (
            <p className="muted">{t('live.nobody')}</p>
          ) : (
            <ul className="in-view" data-testid="live-names">
              {/* Every answer explains itself (issue 9): the reasons on hover, and on tap (focus) on phones. */}
              {inView.map((f, i) => (
                <li key={i} title={why(f).join('\n')} tabIndex={0} data-testid="live-why">
                  <FaceName name={f.name} />
                </li>
              ))}
            </ul>
          )}
        </aside>
      </div>
      <LiveResults rows={results.rows} stopped={!running && results.rows.length > 0} />
    </>
  );
}
