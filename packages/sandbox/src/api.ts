import { authenticateBearer, type BearerRequirements } from './auth';
import type { Call } from './context';
import { auraError, ok, parseJsonObject, type Reply, validationError } from './http';
import type { UploadRecord } from './types';
import type { MoveResult, UploadAction } from './uploads';
import { Validator } from './validate';

const LIFECYCLE = (scope: BearerRequirements['scope']): BearerRequirements => ({
  scope,
  group: 'lifecycle',
  apiKey: 'required',
});
const MANAGE: BearerRequirements = {
  scope: 'upload:manage',
  group: 'lifecycle',
  apiKey: 'optional',
};

/** `GET /uploader/config`: where the tus endpoint is, and the credential it takes. */
export function uploaderConfig(call: Call): Reply {
  const auth = authenticateBearer(call, {
    scope: 'integration:read',
    group: 'config',
    apiKey: 'required',
  });
  if (!auth.ok) return auth.reply;
  return ok({
    lift: {
      endpoint: `${call.ctx.origin}${call.ctx.tusPath}/`,
      token: call.ctx.tokens.liftTokenFor(auth.token),
      bucket: 'uploads',
    },
    mode: 'bulk',
  });
}

function moved(result: MoveResult, extra: Record<string, unknown> = {}): Reply {
  if (!result.ok) return auraError(result.status, result.code, result.message);
  return ok({
    success: true,
    upload_id: result.upload.uploadId,
    status: result.upload.state,
    ...extra,
  });
}

/** `POST /uploader/upload/init` */
export function initUpload(call: Call, raw: Buffer): Reply {
  const auth = authenticateBearer(call, LIFECYCLE('upload:init'));
  if (!auth.ok) return auth.reply;
  const body = parseJsonObject(raw);
  if (!body.ok) return body.reply;
  const v = new Validator(body.value);
  const uploadId = v.required('upload_id') ? v.uuidV4('upload_id') : undefined;
  const studies = v.required('studies') ? v.object('studies') : undefined;
  if (studies !== undefined) {
    for (const [uid, study] of Object.entries(studies)) {
      if (study === null || typeof study !== 'object' || Array.isArray(study)) {
        v.add(`studies.${uid}`, `The studies.${uid} field must be an object.`);
      }
    }
  }
  const mode = v.string('mode', 64) ?? null;
  const source = v.string('source', 255) ?? null;
  const patientId = v.string('patient_id', 255) ?? null;
  const context = v.object('context') ?? null;
  if (v.failed || uploadId === undefined || studies === undefined) {
    return validationError(v.errors);
  }
  const result = call.ctx.uploads.init(auth.token.appId, uploadId, {
    mode,
    source,
    patientId,
    context,
    studies: studies as Record<string, Record<string, unknown>>,
  });
  if (!result.ok) return auraError(result.status, result.code, result.message);
  return ok({
    studies: result.upload.studies.map((s) => ({ id: s.id, study_uid: s.studyUid })),
    upload_id: result.upload.uploadId,
    status: result.upload.state,
  });
}

type Apply = (upload: UploadRecord) => void;
type Check = (v: Validator) => Apply | undefined;
/** Looks at the upload before a move; a reply refuses the move. */
type Before = (call: Call, upload: UploadRecord) => Reply | undefined;

/** The five moves after init share one shape: authenticate, validate, move. */
function lifecycle(action: UploadAction, needs: BearerRequirements, check: Check, before?: Before) {
  return (call: Call, raw: Buffer): Reply => {
    const auth = authenticateBearer(call, needs);
    if (!auth.ok) return auth.reply;
    const body = parseJsonObject(raw);
    if (!body.ok) return body.reply;
    const v = new Validator(body.value);
    const uploadId = v.required('upload_id') ? v.uuidV4('upload_id') : undefined;
    v.string('mode', 64);
    const apply = check(v);
    if (v.failed || uploadId === undefined) return validationError(v.errors);
    const upload = call.ctx.uploads.get(auth.token.appId, uploadId);
    const refused = upload === undefined ? undefined : before?.(call, upload);
    if (refused !== undefined) return refused;
    const result = call.ctx.uploads.move(auth.token.appId, uploadId, action, apply);
    return moved(result, action === 'submit' ? { message: 'Upload submitted.' } : {});
  };
}

/**
 * `complete` while a tus file has not finished (or none arrived) is what a widget that does not
 * wait for its uploads sends; Aura would then hold an upload missing its bytes. The sandbox says
 * so on the upload, or refuses under `strictUploads`.
 */
const filesFinished: Before = (call, upload) => {
  if (upload.state !== 'started') return undefined; // the move itself answers the 409
  const unfinished = upload.files.filter((f) => !f.finished).length;
  if (upload.files.length > 0 && unfinished === 0) return undefined;
  const message =
    upload.files.length === 0
      ? `complete for upload ${upload.uploadId} came before any tus file was received.`
      : `complete for upload ${upload.uploadId} came while ${unfinished} of ${upload.files.length} tus files had not finished.`;
  if (call.ctx.strictUploads) {
    return auraError(409, 'invalid_state', `Cannot complete: ${message} (strict uploads)`);
  }
  call.warnings.push(call.ctx.uploads.warn(upload, 'complete_without_finished_file', message));
  return undefined;
};

function assembly(v: Validator): Apply | undefined {
  const assemblyId = v.required('assembly_id') ? v.string('assembly_id', 255) : undefined;
  return (upload) => {
    if (assemblyId !== undefined) upload.assemblyId = assemblyId;
  };
}

export const startUpload = lifecycle('start', LIFECYCLE('upload:manage'), assembly);
export const completeUpload = lifecycle(
  'complete',
  LIFECYCLE('upload:manage'),
  assembly,
  filesFinished,
);
export const errorUpload = lifecycle('error', LIFECYCLE('upload:manage'), (v) => {
  const message = v.required('message') ? v.string('message', 10_000) : undefined;
  return (upload) => {
    upload.errorMessage = message ?? null;
  };
});
export const cancelUpload = lifecycle('cancel', LIFECYCLE('upload:manage'), () => undefined);
export const submitUpload = lifecycle('submit', MANAGE, (v) => {
  const metadata = v.object('metadata');
  return (upload) => {
    upload.submitMetadata = metadata ?? null;
  };
});
export const withdrawUpload = lifecycle('withdraw', MANAGE, (v) => {
  const reason = v.string('reason', 10_000);
  return (upload) => {
    upload.withdrawReason = reason ?? null;
  };
});
