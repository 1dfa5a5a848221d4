// Who is signed in, and which optional server features (corrections, video jobs) this server offers,
// read once from its OpenAPI document so that the UI hides what the server cannot do.
import { createContext, useContext } from 'react';
import type { User } from './api';

export interface Capabilities {
  correct: boolean;
  undoCorrection: boolean;
  videos: boolean;
  cameras: boolean;
}

export interface SessionContextValue {
  user: User;
  isAdmin: boolean;
  capabilities: Capabilities;
}

export const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside SessionContext');
  return ctx;
}

/** Route paths of the OpenAPI document, with or without the /api/v1 prefix, parameters in any name. */
export function capabilitiesOf(paths: string[]): Capabilities {
  const has = (re: RegExp) => paths.some((p) => re.test(p.replace(/^\/api\/v1/, '')));
  return {
    correct: has(/^\/events\/[{:][^/]+\}?\/correct$/),
    undoCorrection: has(/^\/events\/[{:][^/]+\}?\/corrections$/),
    videos: has(/^\/videos$/),
    cameras: has(/^\/cameras$/),
  };
}
