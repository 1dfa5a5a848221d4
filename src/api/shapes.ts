// The API's shared objects, each once: a TypeBox schema (registered by the server under its $id, a
// component of the OpenAPI document) and, beside it, its TypeScript type. The server validates and
// serialises with these schemas, the service returns these types, and the web app reads them.
import {
  AnyObject,
  Bool,
  Int,
  List,
  named,
  Nullable,
  Num,
  Obj,
  Optional,
  Pair,
  Ref,
  Str,
  StringEnum,
  Time,
  type Static,
} from './schema.js';

// ---- errors ----

export const ErrorBody = named(
  'Error',
  Obj({
    error: Obj({
      code: Str({ description: 'stable snake_case code, e.g. name_taken' }),
      message: Str({ description: 'what happened and what to do, in English' }),
      details: AnyObject(),
    }),
  }),
);
export type ErrorBody = Static<typeof ErrorBody>;

/** A failure inside an otherwise successful answer (a live frame, a video job). */
export const ErrorInfo = Obj({ code: Str(), message: Str() });
export type ErrorInfo = Static<typeof ErrorInfo>;

// ---- geometry ----

const BOX = { x: Num(), y: Num(), width: Num(), height: Num() };
const QUALITY = { size: Num(), sharpness: Num(), yaw: Num(), pitch: Num(), roll: Num() };

export const Box = named(
  'Box',
  Obj(BOX, { description: 'pixels of the original image (after EXIF rotation)' }),
);
export type Box = Static<typeof Box>;

export const Quality = named('Quality', Obj(QUALITY));
export type Quality = Static<typeof Quality>;

export const Point = named('Point', Pair());
export type Point = Static<typeof Point>;

// ---- accounts ----

export const ROLES = ['admin', 'viewer'] as const;
export const Role = StringEnum(ROLES);
export type Role = Static<typeof Role>;

export const User = named('User', Obj({ name: Str(), role: Role }));
export type User = Static<typeof User>;

export const SessionInfo = named(
  'SessionInfo',
  Obj({
    user: Ref(User),
    csrfToken: Nullable(Str(), { description: 'send as x-csrf-token on writes; null for API keys' }),
  }),
);
export type SessionInfo = Static<typeof SessionInfo>;

export const SetupState = named('SetupState', Obj({ needsSetup: Bool() }));
export type SetupState = Static<typeof SetupState>;

export const UserListItem = named('UserListItem', Obj({ name: Str(), role: Role, createdAt: Time() }));
export type UserListItem = Static<typeof UserListItem>;

export const UserList = named('UserList', Obj({ items: List(Ref(UserListItem)) }));
export type UserList = Static<typeof UserList>;

export const ApiKey = named(
  'ApiKey',
  Obj({ id: Int(), name: Str(), role: Role, createdAt: Time(), lastUsedAt: Nullable(Time()) }),
);
export type ApiKey = Static<typeof ApiKey>;

export const ApiKeyList = named('ApiKeyList', Obj({ items: List(Ref(ApiKey)) }));
export type ApiKeyList = Static<typeof ApiKeyList>;

export const ApiKeyCreated = named(
  'ApiKeyCreated',
  Obj({ id: Int(), name: Str(), role: Role, key: Str({ description: 'send as x-api-key' }) }),
);
export type ApiKeyCreated = Static<typeof ApiKeyCreated>;

// ---- people and samples ----

export const PersonRef = Obj({ id: Int(), name: Str() });
export type PersonRef = Static<typeof PersonRef>;

const PERSON = {
  id: Int(),
  name: Str(),
  note: Str(),
  samples: Int({ description: 'number of samples' }),
  createdAt: Time(),
  updatedAt: Time(),
  lastSeenAt: Nullable(Time(), { description: "time of the person's latest recognition event" }),
  thumbnailSampleId: Nullable(Int(), { description: 'the sample whose crop shows the person' }),
};

export const Person = named('Person', Obj(PERSON));
export type Person = Static<typeof Person>;

export const PersonPage = named('PersonPage', Obj({ items: List(Ref(Person)), total: Int() }));
export type PersonPage = Static<typeof PersonPage>;

export const Sample = named(
  'Sample',
  Obj({
    id: Int(),
    personId: Int(),
    sourceName: Str({ description: 'the file (or event) the sample was taken from' }),
    contentHash: Str({
      description: 'identity of the source image; the same image twice for one person is a duplicate',
    }),
    box: Nullable(Obj(BOX)),
    quality: Nullable(Obj(QUALITY)),
    models: List(Str(), { description: 'embedding models this sample has a vector for' }),
    createdAt: Time(),
  }),
);
export type Sample = Static<typeof Sample>;

export const PersonWithSamples = named('PersonWithSamples', Obj({ ...PERSON, samples: List(Ref(Sample)) }));
export type PersonWithSamples = Static<typeof PersonWithSamples>;

export const MergeResult = named(
  'MergeResult',
  Obj({
    person: Ref(Person),
    movedSamples: Int({ description: 'samples that now belong to the person merged into' }),
    droppedSamples: Int({ description: 'samples left out because that person already had the same image' }),
  }),
);
export type MergeResult = Static<typeof MergeResult>;

// ---- faces ----

export const DetectedFace = named(
  'DetectedFace',
  Obj({ box: Ref(Box), score: Num(), keypoints: List(Ref(Point)), quality: Ref(Quality) }),
);
export type DetectedFace = Static<typeof DetectedFace>;

const SIZE = { width: Int(), height: Int() };

export const DetectResult = named('DetectResult', Obj({ ...SIZE, faces: List(Ref(DetectedFace)) }));
export type DetectResult = Static<typeof DetectResult>;

export const Candidate = named(
  'Candidate',
  Obj({
    personId: Int(),
    name: Str(),
    distance: Num({ description: "1 − cosine similarity of the person's best sample" }),
    score: Num({ description: 'in [0, 1]: 0.5 when the evidence is at the threshold that applied' }),
    sampleId: Int(),
    evidence: Num({
      description: "the person's evidence, z units: 0.7 × its best sample's z-score + 0.3 × its second's",
    }),
  }),
);
export type Candidate = Static<typeof Candidate>;

export const DECISIONS = ['match', 'empty_gallery', 'above_threshold', 'ambiguous', 'low_quality'] as const;
export const Decision = StringEnum(DECISIONS, {
  description:
    'match; empty_gallery (nobody enrolled); above_threshold (the nearest person is not close enough for this face at this level); ambiguous (too little lead over the runner-up); low_quality (the face is too small to name)',
});
export type Decision = Static<typeof Decision>;

/** How sure a name must be: strict names fewer strangers and fewer people; balanced is the default. */
export const SECURITY_LEVELS = ['strict', 'balanced', 'lenient'] as const;
export const SecurityLevel = StringEnum(SECURITY_LEVELS, {
  description:
    'strict / balanced (default) / lenient: the open-set threshold used (their FAR on the dev set: MODELS.md, `visage models`)',
});
export type SecurityLevel = Static<typeof SecurityLevel>;

export const RecognizedFace = named(
  'RecognizedFace',
  Obj({
    box: Ref(Box),
    detectionScore: Num(),
    name: Nullable(Str()),
    personId: Nullable(Int()),
    score: Num({ description: 'in [0, 1] for the best candidate: 0.5 at the threshold that applied' }),
    distance: Nullable(
      Num({
        description:
          "1 − cosine similarity of the matched sample (of the nearest person's best sample when unknown)",
      }),
    ),
    threshold: Num({
      description:
        'the threshold that applied to this face as a cosine distance (evidenceThreshold in distance units)',
    }),
    sampleId: Nullable(Int()),
    decision: Decision,
    candidates: List(Ref(Candidate), {
      description: 'the best people by evidence, best first; for an unknown face, candidates[0] was nearest',
    }),
    level: SecurityLevel,
    evidence: Nullable(
      Num({ description: "the best person's evidence, z units; null for an empty gallery" }),
    ),
    evidenceThreshold: Num({
      description:
        "the evidence needed for this face: the level's threshold + penalty − margin credit (z units)",
    }),
    penalty: Num({ description: "how much this face's quality (size) raised the threshold, z units" }),
    margin: Nullable(Num({ description: 'evidence lead over the runner-up, z units; null with one person' })),
    requiredMargin: Num({ description: 'the lead required, z units' }),
    eventId: Optional(Int({ description: 'absent when events=false' })),
  }),
);
export type RecognizedFace = Static<typeof RecognizedFace>;

export const RecognizeResult = named('RecognizeResult', Obj({ ...SIZE, faces: List(Ref(RecognizedFace)) }));
export type RecognizeResult = Static<typeof RecognizeResult>;

export const CompareResult = named(
  'CompareResult',
  Obj({
    model: Str(),
    distance: Num(),
    score: Num(),
    threshold: Num(),
    same: Bool(),
    a: Obj({ box: Ref(Box) }),
    b: Obj({ box: Ref(Box) }),
  }),
);
export type CompareResult = Static<typeof CompareResult>;

export const FaceCrop = named(
  'FaceCrop',
  Obj({ box: Ref(Box), quality: Ref(Quality), crop: Str({ description: 'data:image/jpeg;base64,…' }) }),
);
export type FaceCrop = Static<typeof FaceCrop>;

export const CropsResult = named('CropsResult', Obj({ ...SIZE, faces: List(Ref(FaceCrop)) }));
export type CropsResult = Static<typeof CropsResult>;

// ---- enrolment ----

export const EnrollAccepted = Obj({
  source: Str(),
  sampleId: Int(),
  box: Ref(Box),
  quality: Ref(Quality),
  lowQuality: Bool({
    description:
      'a small face (24–40 px) kept as evidence that counts less in recognition; a larger photo makes a better sample',
  }),
});
export type EnrollAccepted = Static<typeof EnrollAccepted>;

const LOOKALIKE_EVIDENCE = Num({
  description:
    "z units: the closest pair of the two people's samples, as the cosine similarity normalised by the default calibration's impostor statistics",
});

/** Someone already enrolled whom the person looks like: a warning, the samples are stored. */
export const EnrollLookalike = Obj({
  personId: Int(),
  name: Str(),
  evidence: LOOKALIKE_EVIDENCE,
  threshold: Num({ description: 'the balanced threshold (z) the evidence reaches' }),
  sampleId: Int({ description: "the enrolled person's sample of the closest pair" }),
  lookalikeSampleId: Int({ description: "the look-alike's sample of the closest pair" }),
});
export type EnrollLookalike = Static<typeof EnrollLookalike>;

export const EnrollRejected = Obj({
  source: Str(),
  reason: Str({
    description:
      'no_face, multiple_faces, face_too_small, too_blurry, extreme_pose, duplicate_sample (the person has this image), repeated_image (the same picture twice in this upload: enrolled once), looks_like_other_person, looks_unlike_person, or a decoding error code',
  }),
  message: Str(),
  overridable: Bool({
    description: 'a judgement call (size, blur, pose, resemblance) that an admin may override with force',
  }),
  lookalike: Optional(
    Obj(
      { id: Int(), name: Str() },
      { description: 'looks_like_other_person: who the face matches better (the photo may be theirs)' },
    ),
  ),
});
export type EnrollRejected = Static<typeof EnrollRejected>;

export const EnrollReport = named(
  'EnrollReport',
  Obj({
    person: Nullable(PersonRef),
    created: Bool(),
    accepted: List(EnrollAccepted),
    rejected: List(EnrollRejected),
    lookalikes: List(EnrollLookalike, {
      description:
        'enrolled people whose nearest samples lie within the balanced threshold of this person: check both are right',
    }),
  }),
);
export type EnrollReport = Static<typeof EnrollReport>;

export const LookalikePair = named(
  'LookalikePair',
  Obj({
    a: PersonRef,
    b: PersonRef,
    evidence: LOOKALIKE_EVIDENCE,
    aSampleId: Int({ description: "a's sample of the closest pair" }),
    bSampleId: Int({ description: "b's sample of the closest pair" }),
  }),
);
export type LookalikePair = Static<typeof LookalikePair>;

export const LookalikeList = named(
  'LookalikeList',
  Obj({
    model: Str({ description: 'the embedder whose vectors were compared' }),
    calibration: Nullable(Str(), { description: 'null when the model has no calibration (no pairs)' }),
    threshold: Nullable(Num({ description: 'the balanced threshold (z)' })),
    items: List(Ref(LookalikePair), { description: 'closest first' }),
  }),
);
export type LookalikeList = Static<typeof LookalikeList>;

/** `visage import FOLDER --json`: one person per sub-folder. */
export const ImportReport = named(
  'ImportReport',
  Obj({
    folder: Str(),
    people: List(
      Obj({
        folder: Str(),
        name: Nullable(Str(), { description: 'null when the folder name is not a valid name' }),
        created: Bool(),
        accepted: Int(),
        rejected: Int(),
        skipped: Int(),
      }),
    ),
    files: List(
      Obj({
        file: Str(),
        person: Str(),
        status: StringEnum(['accepted', 'rejected', 'skipped']),
        reason: Optional(Str({ description: 'a rejection reason (no_face, …) or already_imported' })),
        message: Optional(Str()),
        sampleId: Optional(Int()),
        retryable: Optional(
          Bool({ description: 'skipped because an earlier run rejected it: retry-failed tries it again' }),
        ),
      }),
    ),
    ignored: List(Str(), { description: 'files and nested folders that belong to no person' }),
    totals: Obj({ people: Int(), files: Int(), accepted: Int(), rejected: Int(), skipped: Int() }),
    interrupted: Bool({ description: 'stopped before the end (rerun to continue)' }),
    seconds: Num(),
    imagesPerSecond: Num(),
  }),
);
export type ImportReport = Static<typeof ImportReport>;

/** A bulk import started from the web app (a zip or a dropped folder), run as `visage import` runs. */
export const ImportJob = named(
  'ImportJob',
  Obj({
    id: Str({ format: 'uuid' }),
    name: Str({ description: "the zip's or the folder's name" }),
    state: StringEnum(['queued', 'running', 'done', 'cancelled', 'failed'], {
      description: 'cancelled: stopped between people; the people imported before stay',
    }),
    progress: Obj({
      files: Int({ description: 'files handled so far' }),
      totalFiles: Int({ description: '0 until the folder is scanned' }),
      people: Int({ description: 'person folders committed so far' }),
      totalPeople: Int(),
    }),
    /** Once done or cancelled; paths are inside the upload. */
    report: Optional(Ref(ImportReport)),
    error: Optional(ErrorInfo),
  }),
);
export type ImportJob = Static<typeof ImportJob>;

// ---- events and corrections ----

export const Event = named(
  'Event',
  Obj({
    id: Int(),
    time: Time(),
    source: Str(),
    offsetS: Nullable(Num(), { description: 'seconds into a video' }),
    frame: Nullable(Int()),
    box: Ref(Box),
    personId: Nullable(Int()),
    name: Nullable(Str()),
    score: Nullable(Num()),
    distance: Nullable(Num()),
    hasSnapshot: Bool(),
    modelId: Nullable(Str()),
  }),
);
export type Event = Static<typeof Event>;

export const EventPage = named('EventPage', Obj({ items: List(Ref(Event)), total: Int() }));
export type EventPage = Static<typeof EventPage>;

export const CorrectionReport = named(
  'CorrectionReport',
  Obj({
    event: Ref(Event),
    action: StringEnum(['is', 'not']),
    person: PersonRef,
    created: Optional(Bool({ description: '`is`: the person was created by this correction' })),
    sampleId: Optional(Int({ description: '`is`: the new sample' })),
    negativeId: Optional(Int({ description: '`not`: the veto recorded' })),
  }),
);
export type CorrectionReport = Static<typeof CorrectionReport>;

export const UndoReport = named(
  'UndoReport',
  Obj({
    event: Ref(Event),
    removedSampleIds: List(Int()),
    removedNegativeIds: List(Int()),
    removedPeople: List(PersonRef),
  }),
);
export type UndoReport = Static<typeof UndoReport>;

// ---- video ----

export const Track = named(
  'Track',
  Obj({
    id: Int(),
    name: Nullable(Str()),
    personId: Nullable(Int()),
    score: Num({ description: "best recognition score for the track's verdict, in [0, 1]" }),
    distance: Nullable(Num()),
    firstS: Num({ description: 'seconds from the start when the face first appears' }),
    lastS: Num(),
    frames: Int({ description: 'frames in which the face was seen' }),
    /** The best view's box. */
    box: Ref(Box),
    recognitions: Int({ description: 'votes behind the name' }),
    eventId: Optional(Int({ description: 'the stored event' })),
  }),
);
export type Track = Static<typeof Track>;

export const JOB_STATES = ['queued', 'running', 'done', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Kinds of background job (service/jobs/). */
export const JobKind = StringEnum(['video', 'import', 'reindex', 'recluster']);
export type JobKind = Static<typeof JobKind>;

/** Any background job in the store's queue, whichever node or worker runs it. */
export const Job = named(
  'Job',
  Obj({
    id: Str({ format: 'uuid' }),
    kind: JobKind,
    state: StringEnum(['queued', 'running', 'done', 'failed', 'cancelled']),
    attempts: Int({
      description: 'times a runner claimed it: above 1 when a runner died and another took it over',
    }),
    runner: Nullable(Str({ description: 'the node or worker running it (host:pid:random)' })),
    progress: Nullable(AnyObject({ description: "the kind's progress, stored every second while it runs" })),
    result: Nullable(AnyObject({ description: "the kind's report once it ended" })),
    error: Nullable(ErrorInfo),
    createdAt: Time(),
    updatedAt: Time(),
  }),
);
export type Job = Static<typeof Job>;

export const JobList = named('JobList', Obj({ items: List(Ref(Job)) }));
export type JobList = Static<typeof JobList>;

export const JobsQuery = Obj({ kind: Optional(JobKind) });
export type JobsQuery = Static<typeof JobsQuery>;

export const ReindexBody = Obj({
  model: Optional(Str({ description: "embedding model (catalog id); default: recognition's" })),
  all: Optional(Bool({ description: 'also redo samples that already have a vector of the model' })),
});
export type ReindexBody = Static<typeof ReindexBody>;

export const VideoProgress = Obj({
  phase: StringEnum(['recognize', 'annotate']),
  frames: Int(),
  totalFrames: Nullable(Int()),
  fps: Num({ description: 'frames processed per second' }),
});
export type VideoProgress = Static<typeof VideoProgress>;

export const VideoJobResult = Obj({
  file: Str(),
  durationS: Nullable(Num()),
  fps: Num({ description: "the video's own frame rate" }),
  analysisFps: Num({ description: 'frames per second that were analysed' }),
  width: Int(),
  height: Int(),
  frames: Int({ description: 'frames analysed' }),
  tracks: List(Ref(Track)),
  stopped: Bool({ description: 'stopped before the end (the tracks found so far are kept)' }),
  annotatedUrl: Nullable(Str()),
});
export type VideoJobResult = Static<typeof VideoJobResult>;

export const VideoJob = named(
  'VideoJob',
  Obj({
    id: Str(),
    file: Str({ description: 'the uploaded file name' }),
    level: SecurityLevel,
    state: StringEnum(JOB_STATES),
    progress: VideoProgress,
    result: Optional(VideoJobResult),
    error: Optional(ErrorInfo),
  }),
);
export type VideoJob = Static<typeof VideoJob>;

export const VideoAccepted = named('VideoAccepted', Obj({ id: Str({ format: 'uuid' }) }));
export type VideoAccepted = Static<typeof VideoAccepted>;

// ---- cameras ----

export const CAMERA_STATES = ['connecting', 'live', 'reconnecting', 'stopped', 'failed'] as const;
export const CameraState = StringEnum(CAMERA_STATES);
export type CameraState = Static<typeof CameraState>;

export const Camera = named(
  'Camera',
  Obj({
    id: Int(),
    name: Str(),
    url: Str({ description: 'with any password masked' }),
    state: CameraState,
    framesAnalysed: Int(),
    framesDropped: Int(),
    reason: Nullable(Str(), { description: 'why the camera failed or is reconnecting' }),
    level: SecurityLevel,
    watchedBy: Nullable(Str(), {
      description:
        "the node (host:pid:…) holding its lease, which watches it; null: none. state and frames are the answering node's",
    }),
    createdAt: Time(),
  }),
);
export type Camera = Static<typeof Camera>;

export const CameraList = named('CameraList', Obj({ items: List(Ref(Camera)) }));
export type CameraList = Static<typeof CameraList>;

// ---- privacy ----

const days = (what: string) =>
  Nullable(Int({ minimum: 1, maximum: 36500 }), {
    description: `${what} older than this many days are removed daily; null keeps them`,
  });

export const PrivacySettings = named(
  'PrivacySettings',
  Obj({
    eventDays: days('events (with their snapshots)'),
    unknownDays: days('unknown faces (events nobody was recognised in, with their snapshots)'),
    forgetAuditNames: Bool({
      description:
        'forgetting a person keeps their name and id in the audit log (default: only that it happened)',
    }),
    retentionRanAt: Nullable(Time(), { description: 'when the retention job last ran' }),
  }),
);
export type PrivacySettings = Static<typeof PrivacySettings>;

export const RetentionReport = named(
  'RetentionReport',
  Obj({
    ranAt: Time(),
    events: Int({ description: 'events removed as older than eventDays' }),
    unknown: Int({ description: 'unknown faces removed as older than unknownDays' }),
    walTruncated: Bool({ description: 'the write-ahead log was emptied after the removal' }),
  }),
);
export type RetentionReport = Static<typeof RetentionReport>;

export const ForgetReport = named(
  'ForgetReport',
  Obj({
    forgotten: PersonRef,
    samples: Int(),
    events: Int({
      description:
        'their events and the faces left unknown in clusters named as them, removed with snapshots and embeddings',
    }),
    negatives: Int({ description: 'corrections removed: theirs, and those recorded from their events' }),
    imports: Int({ description: 'bulk-import progress records of their photos removed' }),
    audit: Obj({
      removed: Int({ description: 'audit entries about them, removed' }),
      scrubbed: Int({ description: 'other audit entries their name or id was removed from' }),
    }),
    walTruncated: Bool({
      description: 'the write-ahead log was emptied; false when another reader held it (emptied later)',
    }),
  }),
);
export type ForgetReport = Static<typeof ForgetReport>;

// ---- integrations (MQTT, Frigate, webhooks) ----

export const MqttStatus = named(
  'MqttStatus',
  Obj({
    configured: Bool({ description: 'false: no broker; the other fields are then absent' }),
    url: Optional(Str({ description: 'the broker, with any password masked' })),
    connected: Optional(Bool()),
    published: Optional(Int({ description: 'messages sent since start' })),
    dropped: Optional(Int({ description: 'messages dropped because the queue was full' })),
    queued: Optional(Int()),
    lastError: Optional(Nullable(Str())),
    lastPublishedAt: Optional(Nullable(Time())),
  }),
);
export type MqttStatus = Static<typeof MqttStatus>;

export const FRIGATE_OUTCOMES = ['matched', 'unknown', 'no_face', 'error'] as const;

export const FrigateEvent = named(
  'FrigateEvent',
  Obj({
    frigateId: Str({ description: "Frigate's event id" }),
    camera: Str(),
    time: Time(),
    outcome: StringEnum(FRIGATE_OUTCOMES),
    name: Nullable(Str()),
    score: Nullable(Num()),
    attempts: Int({ description: 'images tried' }),
    eventIds: List(Int(), { description: 'Visage events stored for it' }),
    reason: Nullable(Str({ description: 'why it failed (a status or category)' })),
  }),
);
export type FrigateEvent = Static<typeof FrigateEvent>;

export const FrigateStatus = named(
  'FrigateStatus',
  Obj({
    configured: Bool({ description: 'false: the bridge is off; the other fields are then absent' }),
    url: Optional(Str()),
    connected: Optional(Bool({ description: "connected to Frigate's MQTT broker" })),
    taken: Optional(Int({ description: 'person events that passed the filters' })),
    skipped: Optional(Int({ description: 'person events the filters left out' })),
    lastError: Optional(Nullable(Str())),
    lastEvents: Optional(List(Ref(FrigateEvent), { description: 'newest first, at most 20' })),
  }),
);
export type FrigateStatus = Static<typeof FrigateStatus>;

export const IntegrationsStatus = named(
  'IntegrationsStatus',
  Obj({
    mqtt: Ref(MqttStatus),
    frigate: Ref(FrigateStatus),
    webhooks: Obj({ webhooks: Int(), pending: Int(), dead: Int({ description: 'dead letters' }) }),
  }),
);
export type IntegrationsStatus = Static<typeof IntegrationsStatus>;

const MQTT_FIELDS = {
  url: Str({ maxLength: 2000, description: 'mqtt://, mqtts://, ws:// or wss://' }),
  username: Optional(Str({ maxLength: 200 })),
  topicPrefix: Optional(Str({ maxLength: 100, description: 'first level of the topics (default visage)' })),
  discoveryPrefix: Optional(Str({ maxLength: 100, description: "Home Assistant's (default homeassistant)" })),
  discovery: Optional(Bool({ description: 'send Home Assistant discovery (default true)' })),
  insecure: Optional(Bool({ description: 'accept a broker certificate that does not verify' })),
};

export const FrigateCamera = named(
  'FrigateCamera',
  Obj({
    name: Str({ maxLength: 100 }),
    level: Optional(SecurityLevel),
    zones: Optional(List(Str({ maxLength: 100 }), { description: 'only events in one of these zones' })),
  }),
);
export type FrigateCamera = Static<typeof FrigateCamera>;

const FRIGATE_FIELDS = {
  url: Str({ maxLength: 2000, description: "Frigate's HTTP API, e.g. http://frigate:5000" }),
  topicPrefix: Optional(Str({ maxLength: 100, description: "Frigate's MQTT prefix (default frigate)" })),
  cameras: Optional(List(Ref(FrigateCamera), { description: 'empty: every camera' })),
  level: Optional(SecurityLevel),
  minScore: Optional(Num({ minimum: 0, maximum: 1 })),
  minArea: Optional(Int({ minimum: 0 })),
  attempts: Optional(Int({ minimum: 1, maximum: 20 })),
  subLabel: Optional(Bool({ description: "set the Frigate event's sub-label to the name" })),
};

export const FrigateSettingsBody = Obj(FRIGATE_FIELDS);
export type FrigateSettingsBody = Static<typeof FrigateSettingsBody>;

export const IntegrationSettings = named(
  'IntegrationSettings',
  Obj({
    mqtt: Nullable(Obj({ ...MQTT_FIELDS, hasPassword: Bool() })),
    frigate: Nullable(Obj(FRIGATE_FIELDS)),
  }),
);
export type IntegrationSettings = Static<typeof IntegrationSettings>;

export const MqttSettingsBody = Obj({
  ...MQTT_FIELDS,
  password: Optional(Str({ maxLength: 1024, description: 'left out: the saved one stays' })),
});
export type MqttSettingsBody = Static<typeof MqttSettingsBody>;

const WEBHOOK_FILTERS = {
  named: Optional(Bool({ description: 'send faces that were named (default true)' })),
  people: Optional(List(Str({ maxLength: 200 }), { description: 'only these people; empty: anyone named' })),
  unknown: Optional(Bool({ description: 'send unknown faces (default true)' })),
  cameras: Optional(
    List(Str({ maxLength: 200 }), { description: 'only these cameras or sources; empty: any' }),
  ),
  enabled: Optional(Bool()),
};

export const Webhook = named(
  'Webhook',
  Obj({
    id: Int(),
    url: Str({ description: 'with any password masked' }),
    named: Bool(),
    people: List(Str()),
    unknown: Bool(),
    cameras: List(Str()),
    enabled: Bool(),
    createdAt: Time(),
    delivered: Int(),
    pending: Int(),
    dead: Int({ description: 'dead letters: deliveries whose last retry failed' }),
  }),
);
export type Webhook = Static<typeof Webhook>;

export const WebhookList = named('WebhookList', Obj({ items: List(Ref(Webhook)) }));
export type WebhookList = Static<typeof WebhookList>;

export const WebhookCreated = named(
  'WebhookCreated',
  Obj({
    webhook: Ref(Webhook),
    secret: Str({ description: 'HMAC-SHA256 key of X-Visage-Signature; shown only now' }),
  }),
);
export type WebhookCreated = Static<typeof WebhookCreated>;

export const WebhookBody = Obj({ url: Str({ maxLength: 2000 }), ...WEBHOOK_FILTERS });
export type WebhookBody = Static<typeof WebhookBody>;

export const WebhookUpdateBody = Obj(
  { url: Optional(Str({ maxLength: 2000 })), ...WEBHOOK_FILTERS },
  { minProperties: 1 },
);
export type WebhookUpdateBody = Static<typeof WebhookUpdateBody>;

export const DELIVERY_STATES = ['pending', 'delivered', 'dead'] as const;

export const WebhookDelivery = named(
  'WebhookDelivery',
  Obj({
    id: Int(),
    webhookId: Int(),
    eventId: Int(),
    state: StringEnum(DELIVERY_STATES),
    attempts: Int(),
    lastStatus: Nullable(Int({ description: 'HTTP status of the last attempt' })),
    lastError: Nullable(Str({ description: 'the status or a category, never the answer' })),
    nextAttemptAt: Nullable(Time()),
    createdAt: Time(),
    finishedAt: Nullable(Time()),
  }),
);
export type WebhookDelivery = Static<typeof WebhookDelivery>;

export const WebhookDeliveryList = named('WebhookDeliveryList', Obj({ items: List(Ref(WebhookDelivery)) }));
export type WebhookDeliveryList = Static<typeof WebhookDeliveryList>;

// ---- unknown faces (clusters to review) ----

export const CLUSTER_STATUSES = ['open', 'dismissed', 'named', 'merged'] as const;

export const UnknownCluster = named(
  'UnknownCluster',
  Obj({
    id: Int(),
    number: Nullable(Int({ description: '"Unknown #N"; null while it has fewer than 3 faces' })),
    status: StringEnum(CLUSTER_STATUSES),
    faces: Int({ description: 'its faces that are still unknown' }),
    coverEventId: Nullable(Int({ description: 'the event whose snapshot shows it (its largest face)' })),
    previewEventIds: List(Int(), { description: 'up to 8 of its faces, largest first' }),
    modelId: Str(),
    person: Nullable(PersonRef, { description: 'named: as whom' }),
    updatedAt: Time(),
  }),
);
export type UnknownCluster = Static<typeof UnknownCluster>;

export const UnknownClusterList = named('UnknownClusterList', Obj({ items: List(Ref(UnknownCluster)) }));
export type UnknownClusterList = Static<typeof UnknownClusterList>;

export const UnknownClusterFace = Obj({
  eventId: Int(),
  time: Time(),
  source: Str(),
  box: Ref(Box),
  hasSnapshot: Bool(),
  modelId: Nullable(Str()),
});
export type UnknownClusterFace = Static<typeof UnknownClusterFace>;

export const UnknownClusterDetails = named(
  'UnknownClusterDetails',
  Obj({ cluster: Ref(UnknownCluster), members: List(UnknownClusterFace) }),
);
export type UnknownClusterDetails = Static<typeof UnknownClusterDetails>;

export const UnknownNameReport = named(
  'UnknownNameReport',
  Obj({
    cluster: Ref(UnknownCluster),
    person: Nullable(PersonRef),
    created: Bool(),
    accepted: List(Obj({ eventId: Int(), sampleId: Int() })),
    rejected: List(
      Obj({
        eventId: Int(),
        reason: Str({ description: "enrolment's reason (face_too_small, looks_unlike_person, …)" }),
        message: Str(),
        overridable: Bool({ description: 'an admin may name again with force' }),
      }),
      { description: 'faces enrolment refused; they stay in the cluster' },
    ),
  }),
);
export type UnknownNameReport = Static<typeof UnknownNameReport>;

export const ReclusterReport = named(
  'ReclusterReport',
  Obj({
    faces: Int({ description: 'unknown faces clustered' }),
    reembedded: Int({ description: 'faces of another model embedded again from their snapshot' }),
    skipped: Int({ description: 'faces with no snapshot or no face found in it again' }),
    clusters: Int({ description: 'clusters of 3 faces or more afterwards' }),
  }),
);
export type ReclusterReport = Static<typeof ReclusterReport>;

export const EventSourceList = named(
  'EventSourceList',
  Obj({ items: List(Obj({ source: Str(), events: Int(), lastTime: Time() })) }),
);
export type EventSourceList = Static<typeof EventSourceList>;
