// Network cameras (RTSP, HTTP, … streams watched by the server): add, start, stop, delete, and the faces
// seen by one of them as they come, over its server-sent event stream; the results table has one row per
// track (a face followed while in view), with its stored event's picture once the face has left.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Alert, Spinner } from '../../components/Alert';
import { FaceName } from '../../components/FaceName';
import { ResultsTable, type ResultRow } from '../../components/ResultsTable';
import { ConfirmDialog } from '../../components/Modal';
import { LevelOptions } from '../../components/LevelSelect';
import { TextField } from '../../components/TextField';
import { useI18n } from '../../i18n';
import { api } from '../../lib/api';
import { SECURITY_LEVELS, type SecurityLevel } from '../../lib/level';
import { useAction } from '../../lib/requests';
import { useSession } from '../../lib/session';
import type { Camera, CameraFaceEvent, CameraStateChange } from '../../lib/api';

/** Faces kept in the feed of the watched camera, newest first. */
const FEED = 50;
const REFRESH_MS = 3000;

interface FeedItem extends CameraFaceEvent {
  key: number;
}

let nextKey = 1;

export function CamerasView() {
  const { t, tError, number, clock } = useI18n();
  const { isAdmin } = useSession();
  const [cameras, setCameras] = useState<Camera[] | null>(null);
  const { busy, error, setError, run: act } = useAction();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [level, setLevel] = useState<SecurityLevel>('balanced');
  const [watched, setWatched] = useState<number | null>(null);
  const [feed, setFeed] = useState<FeedItem[]>([]);
  const [deleting, setDeleting] = useState<Camera | null>(null);

  const load = useCallback(() => {
    api
      .cameras()
      .then((r) => {
        setCameras(r.items);
        setWatched((w) => w ?? r.items[0]?.id ?? null);
      })
      .catch((e) => setError(tError(e)));
  }, [tError]);
  useEffect(load, [load]);

  // Frame counts change while a camera runs; its event stream tells states and faces, not counts.
  const running = cameras?.some((c) => c.state !== 'stopped' && c.state !== 'failed') ?? false;
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [running, load]);

  const replace = (camera: Camera) =>
    setCameras((list) => list?.map((c) => (c.id === camera.id ? camera : c)) ?? null);

  // The watched camera's stream: its state as it changes, and every face it reports.
  useEffect(() => {
    if (watched === null) return;
    setFeed([]);
    const source = new EventSource(api.cameraEventsUrl(watched));
    const onCamera = (e: Event) => replace(JSON.parse((e as MessageEvent<string>).data) as Camera);
    const onState = (e: Event) => {
      const change = JSON.parse((e as MessageEvent<string>).data) as CameraStateChange;
      setCameras(
        (list) =>
          list?.map((c) =>
            c.id === watched ? { ...c, state: change.state, reason: change.reason ?? c.reason } : c,
          ) ?? null,
      );
    };
    const onFace = (e: Event) => {
      const event = JSON.parse((e as MessageEvent<string>).data) as CameraFaceEvent;
      setFeed((list) => [{ ...event, key: nextKey++ }, ...list].slice(0, FEED));
    };
    source.addEventListener('camera', onCamera);
    source.addEventListener('state', onState);
    source.addEventListener('recognition', onFace);
    source.addEventListener('track_end', onFace);
    return () => source.close();
  }, [watched]);

  const add = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      const camera = await api.addCamera(name.trim(), url.trim(), level);
      setName('');
      setUrl('');
      setLevel('balanced');
      setCameras((list) => [...(list ?? []), camera]);
      setWatched(camera.id);
    });
  };

  const watchedCamera = cameras?.find((c) => c.id === watched) ?? null;
  // The newest news of each track (the feed is newest first).
  const rows: ResultRow[] = [];
  const seen = new Set<number>();
  for (const f of feed) {
    if (seen.has(f.track.id)) continue;
    seen.add(f.track.id);
    rows.push({
      source: f.camera,
      number: f.track.id,
      thumb: f.track.eventId === undefined ? undefined : api.eventSnapshotUrl(f.track.eventId),
      at: `${number(f.track.firstS, 1)} – ${number(f.track.lastS, 1)} s`,
      name: f.track.name,
      score: f.track.score,
      box: f.track.box,
    });
  }
  return (
    <>
      <div className="live-layout cameras-layout">
        <div className="stack">
          {isAdmin && (
            <section className="card">
              <h3>{t('cameras.add')}</h3>
              <form className="inline-form" onSubmit={add}>
                <TextField
                  label={t('cameras.name')}
                  value={name}
                  onChange={setName}
                  required
                  maxLength={100}
                  data-testid="camera-name"
                />
                <TextField
                  label={t('cameras.url')}
                  wide
                  value={url}
                  onChange={setUrl}
                  required
                  maxLength={2000}
                  placeholder="rtsp://camera.local:554/stream"
                  data-testid="camera-url"
                />
                <label className="field">
                  <span>{t('cameras.level')}</span>
                  <select
                    value={level}
                    onChange={(e) => setLevel(e.target.value as SecurityLevel)}
                    title={t('level.hint')}
                    data-testid="camera-level"
                  >
                    <LevelOptions />
                  </select>
                </label>
                <button
                  type="submit"
                  className="primary"
                  disabled={busy || !name.trim() || !url.trim()}
                  data-testid="camera-add"
                >
                  {t('cameras.addButton')}
                </button>
              </form>
              <small className="muted">{t('cameras.hint')}</small>
            </section>
          )}
          {error && <Alert onClose={() => setError(null)}>{error}</Alert>}
          <section className="card">
            <h3>{t('cameras.title')}</h3>
            {!cameras ? (
              <Spinner />
            ) : cameras.length === 0 ? (
              <p className="muted empty">{t('cameras.empty')}</p>
            ) : (
              <ul className="camera-list" data-testid="camera-list">
                {cameras.map((c) => (
                  <li
                    key={c.id}
                    className={c.id === watched ? 'selected' : ''}
                    onClick={() => setWatched(c.id)}
                    data-testid="camera"
                  >
                    <span className="camera-text">
                      <strong>{c.name}</strong>
                      <small className="mono ellipsis" title={c.url}>
                        {c.url}
                      </small>
                      <small className="muted">{t('cameras.frames', { n: c.framesAnalysed })}</small>
                      {/* Stopped here but leased: another Visage node sharing the store watches it. */}
                      {c.state === 'stopped' && c.watchedBy !== null && (
                        <small className="muted mono ellipsis" data-testid="camera-node">
                          {t('cameras.watchedBy', { node: c.watchedBy })}
                        </small>
                      )}
                      {!isAdmin && (
                        <small className="muted" data-testid="camera-level-text">
                          {t('cameras.level')}: {t(`level.${c.level}`)}
                        </small>
                      )}
                    </span>
                    {/* ffmpeg's own words on why a stream failed are a detail for the curious: a tooltip. */}
                    <span
                      className={`tag ${c.state}`}
                      title={c.reason ?? undefined}
                      data-testid="camera-state"
                    >
                      {t(`cameras.state.${c.state}`)}
                    </span>
                    {isAdmin && (
                      <span className="row" onClick={(e) => e.stopPropagation()}>
                        <select
                          className="small"
                          value={c.level}
                          disabled={busy}
                          aria-label={t('cameras.level')}
                          title={t('level.hint')}
                          onChange={(e) =>
                            void act(async () =>
                              replace(await api.setCameraLevel(c.id, e.target.value as SecurityLevel)),
                            )
                          }
                          data-testid="camera-level-select"
                        >
                          {SECURITY_LEVELS.map((l) => (
                            <option key={l} value={l}>
                              {t(`level.${l}`)}
                            </option>
                          ))}
                        </select>
                        {c.state === 'stopped' || c.state === 'failed' ? (
                          <button
                            type="button"
                            className="small primary"
                            disabled={busy}
                            onClick={() => void act(async () => replace(await api.startCamera(c.id)))}
                            data-testid="camera-start"
                          >
                            {t('cameras.start')}
                          </button>
                        ) : (
                          <button
                            type="button"
                            className="small"
                            disabled={busy}
                            onClick={() => void act(async () => replace(await api.stopCamera(c.id)))}
                            data-testid="camera-stop"
                          >
                            {t('live.stop')}
                          </button>
                        )}
                        <button
                          type="button"
                          className="small danger-text"
                          onClick={() => setDeleting(c)}
                          data-testid="camera-delete"
                        >
                          {t('common.delete')}
                        </button>
                      </span>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
        <aside className="card live-side">
          <h3>{watchedCamera ? t('cameras.feedOf', { name: watchedCamera.name }) : t('cameras.feed')}</h3>
          {feed.length === 0 ? (
            <p className="muted">{t('cameras.feedEmpty')}</p>
          ) : (
            <ul className="camera-feed" data-testid="camera-feed">
              {feed.map((f) => (
                <li key={f.key}>
                  <FaceName name={f.track.name} />
                  <small className="muted">
                    {clock(f.time)} · {number(f.track.score)}
                    {f.type === 'track_end' && ` · ${t('cameras.left')}`}
                  </small>
                </li>
              ))}
            </ul>
          )}
        </aside>
        {deleting && (
          <ConfirmDialog
            title={t('cameras.deleteTitle')}
            message={t('cameras.deleteMessage', { name: deleting.name })}
            confirmLabel={t('common.delete')}
            danger
            busy={busy}
            onCancel={() => setDeleting(null)}
            onConfirm={() =>
              void act(async () => {
                await api.deleteCamera(deleting.id);
                setDeleting(null);
                if (watched === deleting.id) setWatched(null);
                load();
              })
            }
          />
        )}
      </div>
      {rows.length > 0 && <ResultsTable rows={rows} filename="visage-cameras.csv" />}
    </>
  );
}
