// Recognize photos: each chosen photo is sent to the server in turn, shown with its faces outlined and
// named, and every face can be corrected or enrolled from here.
import { useEffect, useRef, useState } from 'react';
import { Alert, Spinner } from '../../components/Alert';
import { FaceOverlay } from '../../components/FaceOverlay';
import { FilePicker } from '../../components/FilePicker';
import { ResultsTable, type ResultRow } from '../../components/ResultsTable';
import { useI18n } from '../../i18n';
import { api } from '../../lib/api';
import type { RecognizedFace } from '../../lib/api';
import { useFaceWhy } from '../../components/FaceWhy';
import { FaceActions } from './FaceActions';
import { href } from '../../lib/router';
import { useSession } from '../../lib/session';

interface PhotoResult {
  key: number;
  file: File;
  url: string;
  state: 'pending' | 'done' | 'error';
  width: number;
  height: number;
  faces: RecognizedFace[];
  error?: string;
}

let nextKey = 1;

export function PhotoRecognize() {
  const { t, tError, number } = useI18n();
  const { isAdmin } = useSession();
  const why = useFaceWhy();
  const [photos, setPhotos] = useState<PhotoResult[]>([]);
  const [selected, setSelected] = useState<{ photo: number; face: number } | null>(null);
  const queue = useRef(Promise.resolve());

  const urls = useRef<string[]>([]);
  useEffect(() => () => urls.current.forEach((u) => URL.revokeObjectURL(u)), []);

  const update = (key: number, change: Partial<PhotoResult>) =>
    setPhotos((list) => list.map((p) => (p.key === key ? { ...p, ...change } : p)));

  const add = (files: File[]) => {
    const added = files.map<PhotoResult>((file) => ({
      key: nextKey++,
      file,
      url: URL.createObjectURL(file),
      state: 'pending',
      width: 1,
      height: 1,
      faces: [],
    }));
    urls.current.push(...added.map((p) => p.url));
    setPhotos((list) => [...added, ...list]);
    // One photo at a time: the server works on one image per core anyway, and results appear in order.
    for (const p of added) {
      queue.current = queue.current.then(async () => {
        try {
          const r = await api.recognize({ name: p.file.name, blob: p.file });
          // Left to right, as people read a group photo and as the list under it is numbered.
          const faces = [...r.faces].sort((a, b) => a.box.x - b.box.x);
          update(p.key, { state: 'done', width: r.width, height: r.height, faces });
        } catch (e) {
          update(p.key, { state: 'error', error: tError(e) });
        }
      });
    }
  };

  const changeFace = (key: number, index: number, face: RecognizedFace) =>
    setPhotos((list) =>
      list.map((p) => (p.key === key ? { ...p, faces: p.faces.map((f, i) => (i === index ? face : f)) } : p)),
    );

  const rows: ResultRow[] = photos.flatMap((p) =>
    p.faces.map((f, i) => ({
      source: p.file.name,
      number: i + 1,
      thumb: f.eventId === undefined ? undefined : api.eventSnapshotUrl(f.eventId),
      at: '',
      name: f.name,
      nearest: f.name ? null : (f.candidates[0]?.name ?? null),
      score: f.score,
      box: f.box,
    })),
  );
  const busy = photos.some((p) => p.state === 'pending');
  const emptyGallery = photos.some((p) => p.faces.some((f) => f.decision === 'empty_gallery'));

  return (
    <div className="stack">
      <FilePicker
        accept="image/*"
        multiple
        label={t('recognize.choosePhotos')}
        hint={t('recognize.photosHint')}
        onFiles={add}
        testId="photo-input"
      />
      {busy && <Spinner label={t('recognize.working')} />}
      {emptyGallery && (
        <div className="alert info" data-testid="empty-gallery">
          <span>
            {t('recognize.emptyGallery')}{' '}
            {isAdmin ? (
              <>
                <a href={href('enroll')}>{t('recognize.enrollOne')}</a> ·{' '}
                <a href={href('enroll', 'import')}>{t('recognize.enrollMany')}</a>
              </>
            ) : (
              t('recognize.askAdmin')
            )}
          </span>
        </div>
      )}
      <div className="photo-grid">
        {photos.map((p) => (
          <article className="card photo-card" key={p.key} data-testid="photo-result">
            <div className="card-head">
              <h3 className="ellipsis" title={p.file.name}>
                {p.file.name}
              </h3>
              {p.state === 'done' && (
                <span className="count">{t('recognize.faceCount', { n: p.faces.length })}</span>
              )}
            </div>
            {p.state === 'error' ? (
              <Alert>{p.error}</Alert>
            ) : p.state === 'pending' ? (
              <div className="photo-pending">
                <img src={p.url} alt={p.file.name} />
                <Spinner />
              </div>
            ) : (
              <div className="photo-body">
                <FaceOverlay
                  src={p.url}
                  alt={p.file.name}
                  width={p.width}
                  height={p.height}
                  faces={p.faces.map((f, i) => ({
                    box: f.box,
                    known: f.name !== null,
                    label: f.name ? `${f.name} ${number(f.score)}` : t('face.unknown'),
                    selected: selected?.photo === p.key && selected.face === i,
                    title: why(f).join('\n'),
                  }))}
                  onSelect={(i) => setSelected({ photo: p.key, face: i })}
                />
                {p.faces.length === 0 ? (
                  <p className="muted empty">{t('recognize.noFaces')}</p>
                ) : (
                  <ul className="face-list">
                    {p.faces.map((f, i) => (
                      <FaceActions
                        key={i}
                        index={i}
                        face={f}
                        photo={p.file}
                        selected={selected?.photo === p.key && selected.face === i}
                        onSelect={() => setSelected({ photo: p.key, face: i })}
                        onChange={(face) => changeFace(p.key, i, face)}
                      />
                    ))}
                  </ul>
                )}
              </div>
            )}
          </article>
        ))}
      </div>
      {photos.length > 0 && <ResultsTable rows={rows} filename="visage-recognize.csv" />}
    </div>
  );
}
