// The two ways a view talks to the server: data it shows (fetched, refreshed, translated errors) and
// actions a person starts (busy meanwhile, a translated error when they fail).
import { useCallback, useEffect, useRef, useState } from 'react';
import { useI18n } from '../i18n';

/**
 * Data from the server, fetched when `deps` change (once they have been still for `delayMs`, for what is
 * typed into a search field) and again on `reload()`. An answer for inputs that have changed since is
 * dropped; the last value stays shown while the next one comes, and when it fails.
 */
export function useFetched<T>(fetch: () => Promise<T>, deps: readonly unknown[], delayMs = 0) {
  const { tError } = useI18n();
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  // The latest function, called when the timer fires, so that callers need not memoise it.
  const latest = useRef(fetch);
  latest.current = fetch;
  const key = JSON.stringify(deps);

  useEffect(() => {
    let cancelled = false;
    const timer = setTimeout(() => {
      latest.current().then(
        (v) => {
          if (cancelled) return;
          setValue(v);
          setError(null);
        },
        (e: unknown) => !cancelled && setError(tError(e)),
      );
    }, delayMs);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [key, version, delayMs, tError]);

  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { value, error, reload };
}

/** Runs what a person asked for: `busy` until it ends, and its failure as a translated `error`. */
export function useAction() {
  const { tError } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (action: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(tError(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}
