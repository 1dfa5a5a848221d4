// The one progress bar of long work (video jobs, bulk imports): a filled track with its percentage for
// assistive technology.
export function ProgressBar({ fraction, testId }: { fraction: number; testId?: string }) {
  const pct = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  return (
    <div
      className="progress"
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
      data-testid={testId}
    >
      <div style={{ width: `${pct}%` }} />
    </div>
  );
}
