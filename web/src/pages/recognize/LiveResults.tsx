// The live camera's results: one row per track (a face followed while it stays in view), as the server
// stores it — one event in History when the face leaves or the camera stops — with the face cut from the
// video when the track was first seen, its name (or who was nearest), score and when it was seen. The
// name and score are the track's verdict (the answer's `verdicts`), not the frame's: a face one frame
// names is unknown here until its vote has the agreeing looks that name it, as its event will be.
import { useCallback, useRef, useState } from 'react';
import { ResultsTable, type ResultRow } from '../../components/ResultsTable';
import { useI18n } from '../../i18n';
import { href } from '../../lib/router';
import type { Box, LiveFrame } from '../../lib/api';

interface TrackRow extends ResultRow {
  firstS: number;
}

/** A small JPEG of `box` from the video's current picture (the row's thumbnail). */
function faceThumb(video: HTMLVideoElement, box: Box): string | undefined {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 64;
  const g = canvas.getContext('2d');
  if (!g || !video.videoWidth) return undefined;
  g.drawImage(video, box.x, box.y, box.width, box.height, 0, 0, 64, 64);
  return canvas.toDataURL('image/jpeg', 0.8);
}

export function useLiveResults() {
  const { t, number } = useI18n();
  const [rows, setRows] = useState<Map<number, TrackRow>>(new Map());
  const startedAt = useRef(performance.now());

  const reset = useCallback(() => {
    startedAt.current = performance.now();
    setRows(new Map());
  }, []);

  /** Each face of an answer updates its track's row. */
  const record = useCallback(
    (m: LiveFrame, video: HTMLVideoElement) => {
      const { tracks, verdicts } = m;
      if (!tracks || !verdicts) return;
      const s = (performance.now() - startedAt.current) / 1000;
      setRows((before) => {
        const next = new Map(before);
        m.faces.forEach((f, i) => {
          const id = tracks[i];
          const verdict = verdicts[i];
          if (id === undefined || !verdict) return;
          const old = next.get(id);
          const firstS = old?.firstS ?? s;
          next.set(id, {
            source: t('live.source'),
            number: id,
            thumb: old?.thumb ?? faceThumb(video, f.box),
            at: `${number(firstS, 1)} – ${number(s, 1)} s`,
            name: verdict.name,
            // Unknown so far: who this frame found nearest (while pending, usually the one leading the vote).
            nearest: verdict.name ? null : (f.candidates[0]?.name ?? old?.nearest ?? null),
            score: verdict.score,
            box: f.box,
            firstS,
          });
        });
        return next;
      });
    },
    [t, number],
  );

  return { rows: [...rows.values()], record, reset };
}

export function LiveResults({ rows, stopped }: { rows: ResultRow[]; stopped: boolean }) {
  const { t } = useI18n();
  return (
    <div className="stack" data-testid="live-results">
      <ResultsTable rows={rows} filename="visage-camera.csv" />
      {stopped && rows.length > 0 && (
        <p className="muted" data-testid="live-history">
          {t('live.inHistory')} <a href={href('manage', 'events')}>{t('manage.events')}</a>
        </p>
      )}
    </div>
  );
}
