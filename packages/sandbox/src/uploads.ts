import { randomUUID } from 'node:crypto';
import type { StudyRecord, UploadedFile, UploadRecord, UploadState, UploadWarning } from './types';

export type UploadAction = 'start' | 'complete' | 'error' | 'cancel' | 'submit' | 'withdraw';

/** The only legal moves: init → start → complete | error | cancel; submit after complete; withdraw after submit. */
const MOVES: Record<UploadAction, { from: UploadState[]; to: UploadState }> = {
  start: { from: ['initialized'], to: 'started' },
  complete: { from: ['started'], to: 'completed' },
  error: { from: ['initialized', 'started'], to: 'errored' },
  cancel: { from: ['initialized', 'started'], to: 'cancelled' },
  submit: { from: ['completed'], to: 'submitted' },
  withdraw: { from: ['submitted'], to: 'withdrawn' },
};

/** States in which tus may still add files to an upload. */
export const ACCEPTS_FILES: UploadState[] = ['initialized', 'started'];

/** States in which an upload's files are final: no byte may be added or removed. */
export const FILES_FINAL: UploadState[] = ['submitted', 'withdrawn'];

export type MoveResult =
  | { ok: true; upload: UploadRecord }
  | { ok: false; status: 404 | 409; code: 'upload_not_found' | 'invalid_state'; message: string };

export interface InitData {
  mode: string | null;
  source: string | null;
  patientId: string | null;
  context: Record<string, unknown> | null;
  studies: Record<string, Record<string, unknown>>;
}

export function notFound(uploadId: string): MoveResult {
  return {
    ok: false,
    status: 404,
    code: 'upload_not_found',
    message: `No upload ${uploadId} exists for this app.`,
  };
}

/** Every upload, keyed by upload id; an upload is visible only to the app that made it. */
export class UploadStore {
  readonly #uploads = new Map<string, UploadRecord>();

  constructor(private readonly now: () => number) {}

  #stamp(): string {
    return new Date(this.now()).toISOString();
  }

  get(appId: string, uploadId: string): UploadRecord | undefined {
    const upload = this.#uploads.get(uploadId.toLowerCase());
    return upload !== undefined && upload.appId === appId ? upload : undefined;
  }

  any(uploadId: string): UploadRecord | undefined {
    return this.#uploads.get(uploadId.toLowerCase());
  }

  list(): UploadRecord[] {
    return [...this.#uploads.values()];
  }

  init(appId: string, uploadId: string, data: InitData): MoveResult {
    const existing = this.#uploads.get(uploadId);
    if (existing !== undefined) {
      if (existing.appId !== appId) {
        // Another app's id: say only that it is taken, never whose it is.
        return {
          ok: false,
          status: 409,
          code: 'invalid_state',
          message: `Upload ${uploadId} already exists; choose a new upload_id.`,
        };
      }
      return {
        ok: false,
        status: 409,
        code: 'invalid_state',
        message: `Cannot init upload ${uploadId}: it is already ${existing.state} (init is only allowed for a new upload_id).`,
      };
    }
    const at = this.#stamp();
    const studies: StudyRecord[] = Object.entries(data.studies).map(([studyUid, details]) => ({
      id: randomUUID(),
      studyUid,
      details,
    }));
    const upload: UploadRecord = {
      uploadId,
      appId,
      state: 'initialized',
      mode: data.mode,
      source: data.source,
      patientId: data.patientId,
      context: data.context,
      assemblyId: null,
      studies,
      errorMessage: null,
      submitMetadata: null,
      withdrawReason: null,
      files: [],
      warnings: [],
      history: [{ from: null, to: 'initialized', at }],
      createdAt: at,
      updatedAt: at,
    };
    this.#uploads.set(uploadId, upload);
    return { ok: true, upload };
  }

  /** Applies a move if the upload is in a state that allows it; `apply` records the move's data. */
  move(
    appId: string,
    uploadId: string,
    action: UploadAction,
    apply?: (upload: UploadRecord) => void,
  ): MoveResult {
    const upload = this.get(appId, uploadId);
    if (upload === undefined) return notFound(uploadId);
    const move = MOVES[action];
    if (!move.from.includes(upload.state)) {
      return {
        ok: false,
        status: 409,
        code: 'invalid_state',
        message: `Cannot ${action} upload ${upload.uploadId}: it is ${upload.state}, and ${action} moves it from ${move.from.join(' or ')} to ${move.to}.`,
      };
    }
    const at = this.#stamp();
    upload.history.push({ from: upload.state, to: move.to, at });
    upload.state = move.to;
    upload.updatedAt = at;
    apply?.(upload);
    return { ok: true, upload };
  }

  /** Records a warning on the upload, once per kind; answers its message for the request log. */
  warn(upload: UploadRecord, code: UploadWarning['code'], message: string): string {
    if (!upload.warnings.some((w) => w.code === code)) {
      upload.warnings.push({ code, message, at: this.#stamp() });
    }
    return message;
  }

  attachFile(upload: UploadRecord, file: UploadedFile): void {
    upload.files.push(file);
    upload.updatedAt = this.#stamp();
  }

  clear(): void {
    this.#uploads.clear();
  }
}
