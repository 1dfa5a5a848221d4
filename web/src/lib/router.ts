// Hash routes (#/recognize, #/manage/people/12, …): the server serves one index.html, and a hash keeps
// every view bookmarkable without server-side routes.
import { useEffect, useState } from 'react';

function current(): string[] {
  return window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

export function useRoute(): string[] {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const update = () => setRoute(current());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function href(...parts: (string | number)[]): string {
  return `#/${parts.map((p) => encodeURIComponent(String(p))).join('/')}`;
}

export function navigate(...parts: (string | number)[]): void {
  window.location.hash = href(...parts);
}
