// Bulk import (批量导入): a zip or a folder with one folder per person, imported on the server as
// `visage import` does — resumable, one person at a time — with a progress bar, every file's outcome
// and a summary. Cancel stops after the person being imported; everyone before stays.
import { useEffect, useRef, useState } from 'react';
import { Alert } from '../../components/Alert';
import { FilePicker } from '../../components/FilePicker';
import { ProgressBar } from '../../components/ProgressBar';
import { Table } from '../../components/Table';
import { useI18n } from '../../i18n';
import { api } from '../../lib/api';
import type { ImportJob } from '../../lib/api';

const POLL_MS = 400;
const running = (job: ImportJob | null) => job?.state === 'queued' || job?.state === 'running';

export function BulkImport() {
  const { t, tError, tCode, number } = useI18n();
  const [uploaded, setUploaded] = useState<number | null>(null);
  const [job, setJob] = useState<ImportJob | null>(null);
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const folder = useRef<HTMLInputElement>(null);

  const stopPolling = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
  };
  useEffect(() => stopPolling, []);

  const poll = (id: string) => {
    timer.current = setTimeout(() => {
      api
        .importJob(id)
        .then((view) => {
          setJob(view);
          if (running(view)) poll(id);
        })
        .catch((e: unknown) => setError(tError(e)));
    }, POLL_MS);
  };

  const start = async (files: { name: string; blob: Blob }[], name: string) => {
    stopPolling();
    setJob(null);
    setError(null);
    setUploaded(0);
    try {
      const view = await api.startImport(files, name, setUploaded);
      setJob(view);
      if (running(view)) poll(view.id);
    } catch (e) {
      setError(tError(e));
    } finally {
      setUploaded(null);
    }
  };

  const fromZip = ([zip]: File[]) => void start([{ name: zip.name, blob: zip }], zip.name);
  const fromFolder = (list: FileList | null) => {
    const files = Array.from(list ?? []);
    if (!files.length) return;
    const paths = files.map((f) => f.webkitRelativePath || f.name);
    void start(
      files.map((f, i) => ({ name: paths[i], blob: f })),
      paths[0].split('/')[0] ?? 'folder',
    );
  };

  const cancel = async () => {
    if (!job) return;
    try {
      setJob(await api.cancelImport(job.id));
    } catch (e) {
      setError(tError(e));
    }
  };

  const busy = uploaded !== null || running(job);
  const p = job?.progress;
  const fraction = p && p.totalFiles > 0 ? Math.min(1, p.files / p.totalFiles) : (uploaded ?? 0);
  const report = job?.report;

  return (
    <div className="stack">
      <section className="card">
        <h3>{t('import.title')}</h3>
        <p className="muted">{t('import.explain')}</p>
        <div className="import-pickers">
          <FilePicker
            accept=".zip,application/zip"
            label={t('import.chooseZip')}
            hint={t('import.zipHint')}
            disabled={busy}
            onFiles={fromZip}
            testId="import-zip"
          />
          <div className="import-folder">
            <button
              type="button"
              disabled={busy}
              onClick={() => folder.current?.click()}
              data-testid="import-folder-button"
            >
              {t('import.chooseFolder')}
            </button>
            <input
              ref={folder}
              type="file"
              hidden
              multiple
              data-testid="import-folder"
              {...{ webkitdirectory: '', directory: '' }}
              onChange={(e) => {
                fromFolder(e.target.files);
                e.target.value = '';
              }}
            />
          </div>
        </div>
        {error && <Alert>{error}</Alert>}
      </section>

      {(uploaded !== null || job) && (
        <section className="card" data-testid="import-job" data-state={job?.state ?? 'uploading'}>
          <div className="card-head">
            <h3 className="ellipsis">{job?.name ?? t('import.uploading')}</h3>
            <span className={`tag ${job?.state ?? 'uploading'}`} data-testid="import-state">
              {t(job ? `import.state.${job.state}` : 'import.uploading')}
            </span>
          </div>
          {busy && (
            <>
              <ProgressBar fraction={fraction} testId="import-progress" />
              <div className="card-head">
                <p className="muted" data-testid="import-progress-text">
                  {p && job?.state === 'running'
                    ? t('import.progress', {
                        files: p.files,
                        total: p.totalFiles || '?',
                        people: p.people,
                        totalPeople: p.totalPeople,
                      })
                    : t('import.uploadProgress', { pct: Math.round((uploaded ?? 0) * 100) })}
                </p>
                {job && (
                  <button type="button" onClick={() => void cancel()} data-testid="import-cancel">
                    {t('common.cancel')}
                  </button>
                )}
              </div>
            </>
          )}
          {job?.state === 'failed' && <Alert>{job.error ? tCode(job.error.code) : t('import.failed')}</Alert>}
          {report && (
            <>
              <p className="alert success" data-testid="import-summary">
                {t('import.summary', {
                  people: report.totals.people,
                  accepted: report.totals.accepted,
                  rejected: report.totals.rejected,
                  skipped: report.totals.skipped,
                  seconds: number(report.seconds, 1),
                })}
              </p>
              {job?.state === 'cancelled' && (
                <Alert kind="info">{t('import.cancelled', { n: report.totals.people })}</Alert>
              )}
              <Table
                testId="import-files"
                head={
                  <>
                    <th>{t('import.file')}</th>
                    <th>{t('results.name')}</th>
                    <th>{t('import.outcome')}</th>
                  </>
                }
              >
                {report.files.map((f) => (
                  <tr key={f.file} data-status={f.status}>
                    <td className="ellipsis" title={f.file}>
                      {f.file}
                    </td>
                    <td>{f.person}</td>
                    <td>
                      <span className={`tag ${f.status === 'accepted' ? 'known' : 'unknown'}`}>
                        {t(`import.status.${f.status}`)}
                      </span>{' '}
                      {f.reason && f.status !== 'accepted' && (
                        <small className="muted">{tCode(f.reason)}</small>
                      )}
                    </td>
                  </tr>
                ))}
              </Table>
            </>
          )}
        </section>
      )}
    </div>
  );
}
