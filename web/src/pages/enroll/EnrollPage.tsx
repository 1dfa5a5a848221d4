// Enroll (录入人脸): type a name, take face crops from photos or the camera, keep the good ones, enroll;
// or import many people at once (BulkImport).
import { useCallback, useState, type ReactNode } from 'react';
import { Alert, Spinner } from '../../components/Alert';
import { FilePicker } from '../../components/FilePicker';
import { ModePage } from '../../components/ModePage';
import { PersonNameInput } from '../../components/PersonNameInput';
import { Tabs } from '../../components/Tabs';
import { useI18n, type MessageKey } from '../../i18n';
import { api } from '../../lib/api';
import { dataUrlToBlob } from '../../lib/image';
import { useAction } from '../../lib/requests';
import { useSession } from '../../lib/session';
import type { EnrollReport, Person } from '../../lib/api';
import { CameraCapture } from './CameraCapture';
import { CropCard, type Crop } from './CropCard';
import { BulkImport } from './BulkImport';
import { EnrollResult } from './EnrollResult';

let nextKey = 1;

type Source = 'photos' | 'camera';
const SOURCES: { id: Source; label: MessageKey }[] = [
  { id: 'photos', label: 'enroll.fromPhotos' },
  { id: 'camera', label: 'enroll.fromCamera' },
];

/** The heading of one of the page's numbered steps. */
function StepTitle({ n, children }: { n: number; children: ReactNode }) {
  return (
    <h3>
      <span className="step">{n}</span>
      {children}
    </h3>
  );
}

/** Enroll: one person at a time, or many at once (bulk import). */
export function EnrollPage({ route }: { route: string[] }) {
  const { t } = useI18n();
  const { isAdmin } = useSession();
  if (!isAdmin) {
    return (
      <div className="page">
        <Alert kind="info">{t('enroll.adminOnly')}</Alert>
      </div>
    );
  }
  const tabs = [
    { id: 'person', label: t('enroll.onePerson') },
    { id: 'import', label: t('import.tab') },
  ];
  const tab = route[0] === 'import' ? 'import' : 'person';
  return (
    <ModePage
      title={t('enroll.title')}
      subtitle={t('enroll.subtitle')}
      tabs={<Tabs base="enroll" tabs={tabs} active={tab} />}
    >
      {tab === 'import' ? <BulkImport /> : <EnrollPerson />}
    </ModePage>
  );
}

function EnrollPerson() {
  const { t, tError } = useI18n();
  const [name, setName] = useState('');
  const [existing, setExisting] = useState<Person | null>(null);
  const [source, setSource] = useState<Source>('photos');
  const [crops, setCrops] = useState<Crop[]>([]);
  const [problems, setProblems] = useState<{ source: string; message: string }[]>([]);
  const [pending, setPending] = useState(0);
  const { busy, error, run } = useAction();
  const [report, setReport] = useState<EnrollReport | null>(null);
  const [reportName, setReportName] = useState('');

  const onMatch = useCallback((p: Person | null) => setExisting(p), []);

  /** Asks the server for the faces of one image and adds them as crops to choose from. */
  const takeCrops = async (sourceName: string, blob: Blob) => {
    setPending((n) => n + 1);
    try {
      const r = await api.crops({ name: sourceName, blob });
      if (!r.faces.length)
        setProblems((list) => [...list, { source: sourceName, message: t('error.no_face') }]);
      // Several faces in one image: keep the largest by default, the others are shown but dropped.
      const largest = r.faces.reduce(
        (best, f, i) =>
          f.box.width * f.box.height > r.faces[best].box.width * r.faces[best].box.height ? i : best,
        0,
      );
      setCrops((list) => [
        ...list,
        ...r.faces.map((f, i) => ({
          key: nextKey++,
          source: sourceName,
          face: i + 1,
          crop: f.crop,
          upload:
            r.faces.length === 1
              ? { name: sourceName, blob }
              : { name: `${sourceName}#${i + 1}.jpg`, blob: dataUrlToBlob(f.crop) },
          quality: f.quality,
          box: f.box,
          keep: i === largest,
        })),
      ]);
    } catch (e) {
      setProblems((list) => [...list, { source: sourceName, message: tError(e) }]);
    } finally {
      setPending((n) => n - 1);
    }
  };

  const addPhotos = async (files: File[]) => {
    for (const f of files) await takeCrops(f.name, f);
  };

  const kept = crops.filter((c) => c.keep);
  /** Enrols these crops under `target` (an admin's override with `force`), then shows the report. */
  const send = (target: string, chosen: Crop[], force = false) => {
    setReport(null);
    void run(async () => {
      const r = await api.enroll(
        target,
        chosen.map((c) => c.upload),
        force,
      );
      setReportName(target);
      setReport(r);
      // Accepted crops are done with; rejected ones stay so that they can be seen and dropped.
      const accepted = new Set(r.accepted.map((a) => a.source));
      setCrops((list) => list.filter((c) => !accepted.has(c.upload.name)));
      const person = r.person;
      if (person && target === name.trim()) {
        // The person now exists (or has more samples): refresh what the name field says about it.
        const page = await api.people(person.name, 8, 0);
        setExisting(page.items.find((p) => p.id === person.id) ?? null);
      }
    });
  };

  const submit = () => send(name.trim(), kept);
  const bySource = (sources: string[]) => crops.filter((c) => sources.includes(c.upload.name));

  return (
    <div className="enroll-layout">
      <section className="card">
        <StepTitle n={1}>{t('enroll.step.name')}</StepTitle>
        <label className="field">
          <span>{t('enroll.name')}</span>
          <PersonNameInput
            value={name}
            onChange={setName}
            onMatch={onMatch}
            placeholder={t('enroll.namePlaceholder')}
            testId="enroll-name"
          />
        </label>
        {name.trim() && (
          <p className="muted" data-testid="enroll-target">
            {existing ? (
              <span className="tag known">{t('enroll.existing', { n: existing.samples })}</span>
            ) : (
              <span className="tag new">{t('enroll.new')}</span>
            )}
          </p>
        )}
        <StepTitle n={2}>{t('enroll.step.source')}</StepTitle>
        <div className="segmented" role="tablist">
          {SOURCES.map((s) => (
            <button
              key={s.id}
              type="button"
              role="tab"
              aria-selected={source === s.id}
              className={source === s.id ? 'active' : ''}
              onClick={() => setSource(s.id)}
              data-testid={`source-${s.id}`}
            >
              {t(s.label)}
            </button>
          ))}
        </div>
        {source === 'photos' ? (
          <FilePicker
            accept="image/*"
            multiple
            label={t('enroll.choosePhotos')}
            hint={t('enroll.photosHint')}
            onFiles={(f) => void addPhotos(f)}
            testId="enroll-input"
          />
        ) : (
          <CameraCapture
            onCapture={(blob, n) => void takeCrops(`${t('enroll.cameraFrame', { n })}.jpg`, blob)}
          />
        )}
      </section>

      <section className="card">
        <div className="card-head">
          <StepTitle n={3}>{t('enroll.step.crops')}</StepTitle>
          {crops.length > 0 && (
            <button type="button" className="ghost small" onClick={() => setCrops([])}>
              {t('enroll.clear')}
            </button>
          )}
        </div>
        {pending > 0 && <Spinner label={t('enroll.finding')} />}
        {problems.map((p, i) => (
          <Alert key={i} onClose={() => setProblems((list) => list.filter((_, j) => j !== i))}>
            {p.source}: {p.message}
          </Alert>
        ))}
        {crops.length === 0 && pending === 0 ? (
          <p className="muted empty">{t('enroll.noCrops')}</p>
        ) : (
          <div className="crop-grid">
            {crops.map((c) => (
              <CropCard
                key={c.key}
                crop={c}
                onToggle={() =>
                  setCrops((list) => list.map((x) => (x.key === c.key ? { ...x, keep: !x.keep } : x)))
                }
              />
            ))}
          </div>
        )}
        {crops.length > 0 && (
          <div className="enroll-submit">
            <button
              type="button"
              className="primary"
              disabled={busy || !name.trim() || kept.length === 0}
              onClick={submit}
              data-testid="enroll-submit"
            >
              {busy ? t('enroll.enrolling') : t('enroll.submitCount', { n: kept.length })}
            </button>
            {!name.trim() && <small className="muted">{t('enroll.needName')}</small>}
          </div>
        )}
        {error && <Alert>{error}</Alert>}
        {report && (
          <EnrollResult
            report={report}
            name={reportName}
            busy={busy}
            onOverride={(sources) => send(reportName, bySource(sources), true)}
            onAddTo={(source, other) => send(other, bySource([source]))}
          />
        )}
      </section>
    </div>
  );
}
