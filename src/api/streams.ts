// Messages that are not request/response bodies: the live WebSocket's answers and the server-sent events
// of video jobs and cameras. The OpenAPI document cannot describe them, so these schemas are the only
// statement of their shape (the contract test checks real messages against them).
import { Camera, CameraState, ErrorInfo, RecognizedFace, SecurityLevel, Track, VideoJob } from './shapes.js';
import {
  Bool,
  Int,
  List,
  Nullable,
  Num,
  Obj,
  Optional,
  Ref,
  Str,
  StringEnum,
  Time,
  Type,
  type Static,
} from './schema.js';

// ---- GET /live (WebSocket) ----

/**
 * A face of a live frame: its box and name, and why (the same explanation as a photo's face: distance,
 * the threshold that applied, margin to the runner-up, level; the nearest two candidates).
 */
export const LiveFace = Type.Pick(RecognizedFace, [
  'box',
  'name',
  'score',
  'personId',
  'distance',
  'threshold',
  'decision',
  'candidates',
  'level',
  'evidence',
  'evidenceThreshold',
  'penalty',
  'margin',
  'requiredMargin',
]);
export type LiveFace = Static<typeof LiveFace>;

/**
 * A face's track as it stands: the name its vote has decided so far over all the track's looks
 * (identity-vote.ts), which is what is stored as its event when it ends. A frame's own answer (LiveFace)
 * may name a face the vote does not (yet): a name needs agreeing recognitions.
 */
export const LiveVerdict = Obj({
  name: Nullable(Str({ description: 'null: unknown (so far)' })),
  personId: Nullable(Int()),
  score: Num({ description: 'best score behind the verdict (for unknown: the closest anyone came)' }),
  pending: Bool({
    description: 'unknown only for want of evidence yet: one person leads the vote, more looks may name them',
  }),
});
export type LiveVerdict = Static<typeof LiveVerdict>;

/** The answer to one processed frame. */
export const LiveFrame = Obj({
  frame: Int({ description: 'numbers every frame received: 1, 2, …' }),
  faces: List(LiveFace),
  ms: Int({ description: 'server time from receiving the frame to answering it' }),
  dropped: Int({ description: 'frames skipped so far (a newer one arrived while they waited)' }),
  level: SecurityLevel,
  tracks: Optional(
    List(Int(), {
      description:
        "each face's track, in the order of faces: the same number while the face stays in view; each track is stored as one event when it ends",
    }),
  ),
  verdicts: Optional(
    List(LiveVerdict, {
      description: "each face's track verdict, in the order of faces: what its event will say",
    }),
  ),
});
export type LiveFrame = Static<typeof LiveFrame>;

/** A frame that could not be read (with its number), or a message that was not a binary frame (without). */
export const LiveFrameError = Obj({ frame: Optional(Int()), error: ErrorInfo });
export type LiveFrameError = Static<typeof LiveFrameError>;

export const LiveMessage = Type.Union([LiveFrame, LiveFrameError]);
export type LiveMessage = Static<typeof LiveMessage>;

// ---- GET /videos/:id/progress (server-sent events) ----

export const VideoStreamEvents = { job: VideoJob } as const;

// ---- GET /cameras/:id/events (server-sent events) ----

export const CameraStateChange = Obj({
  state: CameraState,
  camera: Str(),
  attempt: Optional(Int({ description: 'reconnection attempt, 1 for the first retry' })),
  retryInMs: Optional(Num({ description: 'wait before the attempt' })),
  reason: Optional(Str({ description: 'why the stream was lost, or why watching failed' })),
  width: Optional(Int({ description: 'frame size, once live' })),
  height: Optional(Int()),
});
export type CameraStateChange = Static<typeof CameraStateChange>;

/** A face named (or found unknown) now, or gone (and stored as an event). */
export const CameraFaceEvent = Obj({
  type: StringEnum(['recognition', 'track_end']),
  camera: Str(),
  time: Time(),
  track: Ref(Track),
});
export type CameraFaceEvent = Static<typeof CameraFaceEvent>;

export const CameraStreamEvents = {
  camera: Camera,
  state: CameraStateChange,
  recognition: CameraFaceEvent,
  track_end: CameraFaceEvent,
} as const;
