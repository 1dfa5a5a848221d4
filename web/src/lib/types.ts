// Response shapes of the Visage HTTP API (/work/briefs/web-contract.md, ../shared/CONVENTIONS.md).

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type Role = 'admin' | 'viewer';

export interface User {
  name: string;
  role: Role;
}

export interface SessionInfo {
  user: User;
  csrfToken: string;
}

export interface Quality {
  size: number;
  sharpness: number;
  yaw: number;
  pitch: number;
  roll: number;
}

export interface Person {
  id: number;
  name: string;
  note: string | null;
  samples: number;
  createdAt: string;
  updatedAt: string;
  lastSeenAt: string | null;
  thumbnailSampleId: number | null;
}

export interface Sample {
  id: number;
  sourceName: string | null;
  box: Box | null;
  quality: Quality | null;
  createdAt: string;
}

export type PersonDetail = Omit<Person, 'samples'> & { samples: Sample[] };

export interface Page<T> {
  items: T[];
  total: number;
}

export type Decision = 'match' | 'empty_gallery' | 'above_threshold' | 'ambiguous';

export interface RecognizedFace {
  box: Box;
  detectionScore: number;
  name: string | null;
  personId: number | null;
  score: number;
  distance: number | null;
  threshold: number;
  sampleId: number | null;
  decision: Decision;
  candidates: { personId: number; name: string; score: number; distance: number; sampleId: number }[];
  eventId?: number;
}

export interface RecognizeResponse {
  width: number;
  height: number;
  faces: RecognizedFace[];
}

export interface CropFace {
  box: Box;
  quality: Quality;
  crop: string;
}

export interface CropsResponse {
  width: number;
  height: number;
  faces: CropFace[];
}

export interface EnrollReport {
  person: { id: number; name: string } | null;
  created: boolean;
  accepted: { source: string; sampleId: number; box: Box; quality: Quality }[];
  rejected: { source: string; reason: string; message: string }[];
}

export interface EventItem {
  id: number;
  time: string;
  source: string;
  offsetS: number | null;
  frame: number | null;
  box: Box;
  personId: number | null;
  name: string | null;
  score: number | null;
  distance: number | null;
  hasSnapshot: boolean;
}

export interface VideoTrack {
  id: number;
  name: string | null;
  personId: number | null;
  score: number;
  firstS: number;
  lastS: number;
  frames: number;
  box: Box;
}

export interface VideoJob {
  id: string;
  file: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  progress: { phase: 'recognize' | 'annotate'; frames: number; totalFrames: number | null; fps: number };
  result?: {
    file: string;
    durationS: number | null;
    fps: number;
    frames: number;
    annotatedUrl: string | null;
    tracks: VideoTrack[];
  };
  error?: { code: string; message: string };
}

export interface LiveFace {
  box: Box;
  name: string | null;
  score: number;
  personId: number | null;
}

export interface LiveMessage {
  frame: number;
  faces: LiveFace[];
  ms: number;
  width?: number;
  height?: number;
}

export interface UserItem {
  name: string;
  role: Role;
  createdAt: string;
}

export interface ApiKeyItem {
  id: number | string;
  name: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
}

export type CameraState = 'stopped' | 'connecting' | 'live' | 'reconnecting' | 'failed';

export interface Camera {
  id: number;
  name: string;
  url: string;
  state: CameraState;
  framesAnalysed: number;
  framesDropped: number;
  reason: string | null;
  createdAt: string;
}

/** What a camera's event stream says about a face: named (or unknown) now, or gone (stored). */
export interface CameraFaceEvent {
  type: 'recognition' | 'track_end';
  camera: string;
  time: string;
  track: VideoTrack;
}
