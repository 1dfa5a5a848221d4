// Recognize a video file: upload it as a job, follow its progress (server-sent events), then show the people
// found (one row per track) and the annotated copy.
import { useEffect, useRef, useState } from 'react';
import { Alert } from '../../components/Alert';
import { FilePicker } from '../../components/FilePicker';
import { ProgressBar } from '../../components/ProgressBar';
import { ResultsTable } from '../../components/ResultsTable';
import { TrackFaces } from '../review/TrackFaces';
import { useI18n } from '../../i18n';
import { api } from '../../lib/api';
import type { VideoJob } from '../../lib/api';

const finished = (job: VideoJob) => job.state === 'done' || job.state === 'failed';

/** By its type, or its extension when the browser does not know the type (e.g. .mkv). */
const isVideoFile = (f: File) =>
  f.type
    ? f.type.startsWith('video/')
    : /\.(mp4|m4v|mov|mkv|webm|avi|mpe?g|ts|mts|m2ts|wmv|flv|3gp|ogv)$/i.test(f.name);

export function VideoRecognize() {
  const { t, tError, tCode, number } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [uploaded, setUploaded] = useState(0);
  const [job, setJob] = useState<VideoJob | null>(null);
  const [error, setError] = useState<string | null>(null);
  const events = useRef<EventSource | null>(null);

  const unfollow = () => {
    events.current?.close();
    events.current = null;
  };
  useEffect(() => unfollow, []);

  /** The job's progress as server-sent events; EventSource reconnects by itself if the stream breaks. */
  const follow = (id: string) => {
    unfollow();
    const source = new EventSource(api.videoProgressUrl(id));
    source.addEventListener('job', (e) => {
      const view = JSON.parse((e as MessageEvent<string>).data) as VideoJob;
      setJob(view);
      if (finished(view)) unfollow();
    });
    events.current = source;
  };

  const start = async ([f]: File[]) => {
    unfollow();
    setJob(null);
    setUploaded(0);
    // A photo would be read as a video of one frame: say what this tab takes instead (the server
    // refuses it too, for clients that do not ask first).
    if (!isVideoFile(f)) {
      setFile(null);
      setError(t('video.notAVideo', { name: f.name }));
      return;
    }
    setFile(f);
    setError(null);
    try {
      const { id } = await api.uploadVideo(f, setUploaded);
      follow(id);
    } catch (e) {
      setError(tError(e));
    }
  };

  const running = file !== null && !error && !(job && finished(job));
  const progress = job?.progress;
  const fraction = !job
    ? uploaded
    : progress?.totalFrames
      ? Math.min(1, progress.frames / progress.totalFrames)
      : 0;
  const result = job?.state === 'done' ? job.result : undefined;
  const seconds = (s: number) => `${number(s, 1)} s`;

  return (
    <div className="stack">
      <FilePicker
        accept="video/*"
        label={t('video.choose')}
        hint={t('video.hint')}
        onFiles={(f) => void start(f)}
        disabled={running}
        testId="video-input"
      />
      {!file && error && (
        <div className="alert error" role="alert" data-testid="video-refused">
          <span>{error}</span>
        </div>
      )}
      {file && (
        <section className="card" data-testid="video-job">
          <div className="card-head">
            <h3 className="ellipsis">{file.name}</h3>
            <span className={`tag ${job?.state ?? 'uploading'}`} data-testid="video-state">
              {t(job ? `video.state.${job.state}` : 'video.uploading')}
            </span>
          </div>
          {running && (
            <>
              <ProgressBar fraction={fraction} />
              <p className="muted">
                {!job || !progress
                  ? t('video.uploadProgress', { pct: Math.round(uploaded * 100) })
                  : t(progress.phase === 'annotate' ? 'video.annotating' : 'video.progress', {
                      frames: progress.frames,
                      total: progress.totalFrames ?? '?',
                      fps: number(progress.fps, 1),
                    })}
              </p>
            </>
          )}
          {error && <Alert>{error}</Alert>}
          {job?.state === 'failed' && <Alert>{job.error ? tCode(job.error.code) : t('video.failed')}</Alert>}
          {job && result && (
            <>
              <p className="muted">
                {t('video.summary', {
                  tracks: result.tracks.length,
                  frames: result.frames,
                  duration: result.durationS === null ? '—' : seconds(result.durationS),
                })}{' '}
                · {t('level.label')}: <span data-testid="video-level">{t(`level.${job.level}`)}</span>
              </p>
              {result.stopped && <Alert>{t('video.stopped')}</Alert>}
              {result.annotatedUrl && (
                <div className="video-done">
                  <video
                    src={result.annotatedUrl}
                    controls
                    playsInline
                    className="video-result"
                    data-testid="annotated-video"
                  />
                  <a
                    className="button primary"
                    href={result.annotatedUrl}
                    download
                    data-testid="annotated-download"
                  >
                    {t('video.download')}
                  </a>
                </div>
              )}
            </>
          )}
        </section>
      )}
      {result && (
        <ResultsTable
          filename="visage-video.csv"
          rows={result.tracks.map((tr) => ({
            source: file?.name ?? result.file,
            number: tr.id,
            thumb: tr.eventId === undefined ? undefined : api.eventSnapshotUrl(tr.eventId),
            nearest: null,
            at: `${seconds(tr.firstS)} – ${seconds(tr.lastS)}`,
            name: tr.name,
            score: tr.score,
            box: tr.box,
          }))}
        />
      )}
      {result && <TrackFaces tracks={result.tracks} />}
    </div>
  );
}
