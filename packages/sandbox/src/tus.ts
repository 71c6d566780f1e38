import { type FileHandle, open } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';
import type { Call, SandboxContext } from './context';
import { auraError, type Reply, send } from './http';
import { bearerToken } from './tokens';
import type { UploadedFile, UploadRecord } from './types';
import { ACCEPTS_FILES, FILES_FINAL } from './uploads';

const TUS_VERSION = '1.0.0';

interface Pending {
  appId: string;
  uploadId: string | null;
}

/** The srvx request tus hands to its hooks keeps the Node request here. */
function nodeRequest(req: unknown): IncomingMessage | undefined {
  return (req as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
}

/** Parses `Upload-Metadata`: `key base64,key2 base64`; `undefined` when malformed. */
export function parseTusMetadata(
  header: string | undefined,
): Record<string, string | null> | undefined {
  const out: Record<string, string | null> = {};
  if (header === undefined || header.trim() === '') return out;
  for (const pair of header.split(',')) {
    const [key, value, extra] = pair.trim().split(' ');
    if (key === undefined || key === '' || extra !== undefined) return undefined;
    if (value === undefined) {
      out[key] = null;
      continue;
    }
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return undefined;
    out[key] = Buffer.from(value, 'base64').toString('utf8');
  }
  return out;
}

/** Lowercased header pairs from whatever form `writeHead` was given. */
function headerPairs(headers: unknown): [string, string][] {
  const pairs: [string, string][] = [];
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const [k, v] of headers as [string, string][]) pairs.push([String(k), String(v)]);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) {
        pairs.push([String(headers[i]), String(headers[i + 1])]);
      }
    }
  } else if (headers !== null && typeof headers === 'object') {
    for (const [k, v] of Object.entries(headers as OutgoingHttpHeaders)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) pairs.push([k, String(item)]);
      else pairs.push([k, String(v)]);
    }
  }
  return pairs;
}

/**
 * A finished file is served by the sandbox itself, not by @tus/server: tus hands FileStore's
 * Node stream to `new Response()`, and the async-iterator adapter undici puts around it enqueues
 * into an already closed web stream when a client without keep-alive closes the connection right
 * after the last byte: an uncaught `ERR_INVALID_STATE` that ended the process. A plain
 * `pipeline` from the file to the response has no such step.
 */
type ContentHeaders = (stats: { metadata?: Record<string, string | null> }) => {
  contentType: string;
  contentDisposition: string;
};

/**
 * The sandbox's own tus endpoint: @tus/server with a file store, each request authorised by
 * the upload token (`upload:init` or `upload:manage`) or the `lift.token` from the config.
 */
export class TusEndpoint {
  readonly server: Server;
  readonly store: FileStore;
  readonly #files = new Map<string, UploadedFile>();
  readonly #pending = new WeakMap<IncomingMessage, Pending>();
  readonly #directory: string;

  constructor(
    private readonly ctx: SandboxContext,
    directory: string,
    maxSize: number,
  ) {
    this.#directory = directory;
    this.store = new FileStore({ directory });
    this.server = new Server({
      path: ctx.tusPath,
      datastore: this.store,
      maxSize,
      // One id for authorisation and for tus: tus's own default takes the last segment of the
      // whole URL, query included, so `/files/<mine>?x=/<theirs>` was authorised for one file
      // and served another.
      getFileIdFromRequest: (req) => this.#fileId(new URL(req.url).pathname),
      // CORS is the sandbox's to answer, for its own list of origins (see cors.ts).
      allowedOrigins: () => false,
      onUploadCreate: async (req, upload) => {
        const node = nodeRequest(req);
        const pending = node === undefined ? undefined : this.#pending.get(node);
        if (pending === undefined) {
          throw { status_code: 401, body: 'Unauthorised\n' };
        }
        const file: UploadedFile = {
          id: upload.id,
          uploadId: pending.uploadId,
          appId: pending.appId,
          size: upload.size ?? null,
          offset: 0,
          finished: false,
          metadata: { ...(upload.metadata ?? {}) },
          createdAt: new Date(this.ctx.now()).toISOString(),
          finishedAt: null,
        };
        this.#files.set(upload.id, file);
        if (pending.uploadId !== null) {
          const record = this.ctx.uploads.get(pending.appId, pending.uploadId);
          if (record !== undefined) this.ctx.uploads.attachFile(record, file);
        }
        return {};
      },
      onUploadFinish: async (_req, upload) => {
        const file = this.#files.get(upload.id);
        if (file !== undefined) {
          file.finished = true;
          file.offset = upload.offset;
          file.size = upload.size ?? upload.offset;
          file.finishedAt = new Date(this.ctx.now()).toISOString();
        }
        return {};
      },
    });
  }

  file(id: string): UploadedFile | undefined {
    return this.#files.get(id);
  }

  files(): UploadedFile[] {
    return [...this.#files.values()];
  }

  /** Authorises, then hands the call to tus with the sandbox's CORS headers instead of its own. */
  async handle(call: Call, cors: Record<string, string>): Promise<void> {
    const { req, res } = call;
    const refusal = this.#authorise(call);
    if (refusal !== undefined) {
      send(res, refusal, { ...cors, 'Tus-Resumable': TUS_VERSION });
      return;
    }
    if (req.method === 'GET') {
      await this.#serveFile(call, cors);
      return;
    }
    this.#rewriteHeaders(res, cors);
    await this.server.handle(req, res);
  }

  /** `GET /files/<id>` of a finished file: its bytes, with the headers tus would send. */
  async #serveFile(call: Call, cors: Record<string, string>): Promise<void> {
    const { res } = call;
    const id = this.#fileId(call.path);
    const file = id === undefined ? undefined : this.#files.get(id);
    if (id === undefined || file === undefined || !file.finished) {
      send(res, { status: 404, body: { message: 'The file for this url was not found.' } }, cors);
      return;
    }
    let handle: FileHandle;
    try {
      handle = await open(path.join(this.#directory, id), 'r');
    } catch {
      send(res, { status: 404, body: { message: 'The file for this url was not found.' } }, cors);
      return;
    }
    let size: number;
    try {
      size = (await handle.stat()).size;
    } catch (error) {
      await handle.close();
      throw error; // the request's own failure: 500, the sandbox keeps serving
    }
    const getHandler = (
      this.server.handlers as unknown as Record<string, { filterContentType: ContentHeaders }>
    ).GET!;
    const { contentType, contentDisposition } = getHandler.filterContentType({
      metadata: file.metadata,
    });
    res.writeHead(200, {
      ...cors,
      'Content-Length': String(size),
      'Content-Type': contentType,
      'Content-Disposition': contentDisposition,
    });
    // A client gone mid-file ends this answer, nothing else; the stream closes the handle.
    await pipeline(handle.createReadStream(), res).catch(() => undefined);
  }

  #authorise(call: Call): Reply | undefined {
    const { req, ctx } = call;
    const method = req.method ?? 'GET';
    // Discovery (`OPTIONS` without a preflight) tells what the server supports, nothing more.
    if (method === 'OPTIONS') return undefined;
    const value = bearerToken(req.headersDistinct.authorization);
    const checked =
      value?.startsWith('aulift_') === true
        ? ctx.tokens.checkLift(value)
        : ctx.tokens.check(value, { ignoreUses: true });
    if (!checked.ok) return auraError(401, checked.code, checked.message);
    const token = checked.token;
    call.appId = token.appId;
    if (
      !value!.startsWith('aulift_') &&
      !token.scopes.includes('upload:init') &&
      !token.scopes.includes('upload:manage')
    ) {
      return auraError(
        403,
        'insufficient_scope',
        'Uploading needs the scope upload:init or upload:manage (or the lift.token from /uploader/config).',
      );
    }

    const id = this.#fileId(call.path);
    if (method === 'POST' && id === undefined) {
      const sent = req.headersDistinct['upload-metadata'];
      const metadata = (sent?.length ?? 0) > 1 ? undefined : parseTusMetadata(sent?.[0]);
      if (metadata === undefined) {
        return { status: 400, body: { message: 'Upload-Metadata is malformed.' } };
      }
      const uploadId = metadata.upload_id ?? metadata.uploadId ?? null;
      if (uploadId !== null) {
        const upload = ctx.uploads.get(token.appId, uploadId);
        if (upload === undefined) {
          return auraError(404, 'upload_not_found', `No upload ${uploadId} exists for this app.`);
        }
        if (!ACCEPTS_FILES.includes(upload.state)) {
          return auraError(
            409,
            'invalid_state',
            `Cannot add files to upload ${upload.uploadId}: it is ${upload.state} (files are accepted while ${ACCEPTS_FILES.join(' or ')}).`,
          );
        }
        const early = this.#beforeStart(call, upload);
        if (early !== undefined) return early;
      }
      this.#pending.set(req, {
        appId: token.appId,
        uploadId: uploadId === null ? null : uploadId.toLowerCase(),
      });
      return undefined;
    }
    if (id === undefined) return { status: 404, body: { message: 'Not found.' } };
    const file = this.#files.get(id);
    if (file === undefined || file.appId !== token.appId) {
      return { status: 404, body: { message: `No tus upload ${id} exists for this app.` } };
    }
    const upload = file.uploadId === null ? undefined : ctx.uploads.get(file.appId, file.uploadId);
    if (upload !== undefined && (method === 'PATCH' || method === 'DELETE')) {
      if (FILES_FINAL.includes(upload.state)) {
        return auraError(
          409,
          'invalid_state',
          `Cannot change the files of upload ${upload.uploadId}: it is ${upload.state}.`,
        );
      }
      if (method === 'PATCH') return this.#beforeStart(call, upload);
    }
    return undefined;
  }

  /**
   * tus data for an upload that is only initialized: the vendor's widget sends it without
   * waiting for `start`, which Aura may not take. Warned on the upload, or refused when strict.
   */
  #beforeStart(call: Call, upload: UploadRecord): Reply | undefined {
    if (upload.state !== 'initialized') return undefined;
    const message = `tus data for upload ${upload.uploadId} arrived before start (it is initialized).`;
    if (call.ctx.strictUploads) {
      return auraError(409, 'invalid_state', `Cannot take files yet: ${message} (strict uploads)`);
    }
    call.warnings.push(call.ctx.uploads.warn(upload, 'tus_before_start', message));
    return undefined;
  }

  #fileId(path: string): string | undefined {
    const rest = path.slice(this.ctx.tusPath.length).replace(/^\/+|\/+$/g, '');
    return rest === '' || rest.includes('/') ? undefined : decodeURIComponentSafe(rest);
  }

  /** Drops tus's own CORS headers, adds the sandbox's, and keeps offsets and terminations in step. */
  #rewriteHeaders(res: ServerResponse, cors: Record<string, string>): void {
    const original = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    const path = res.req.url ?? '';
    const method = res.req.method ?? 'GET';
    res.writeHead = ((status: number, ...rest: unknown[]) => {
      const headers = rest.length > 0 && typeof rest[0] === 'string' ? rest[1] : rest[0];
      const reason = rest.length > 0 && typeof rest[0] === 'string' ? rest[0] : undefined;
      const pairs = headerPairs(headers).filter(
        ([k]) => !k.toLowerCase().startsWith('access-control-'),
      );
      for (const [k, v] of Object.entries(cors)) pairs.push([k, v]);
      const id = this.#fileId(new URL(path, 'http://x').pathname);
      const file = id === undefined ? undefined : this.#files.get(id);
      if (file !== undefined) {
        const offset = pairs.find(([k]) => k.toLowerCase() === 'upload-offset')?.[1];
        if (offset !== undefined && /^\d+$/.test(offset)) file.offset = Number(offset);
        if (method === 'DELETE' && status === 204) this.#forget(file);
      }
      const flat = pairs.flat();
      return reason === undefined ? original(status, flat) : original(status, reason, flat);
    }) as ServerResponse['writeHead'];
  }

  #forget(file: UploadedFile): void {
    this.#files.delete(file.id);
    const upload =
      file.uploadId === null ? undefined : this.ctx.uploads.get(file.appId, file.uploadId);
    if (upload !== undefined) upload.files = upload.files.filter((f) => f.id !== file.id);
  }

  /** Removes every file this sandbox received (reset). */
  async clear(): Promise<void> {
    const ids = [...this.#files.keys()];
    this.#files.clear();
    await Promise.all(ids.map((id) => this.store.remove(id).catch(() => undefined)));
  }
}

function decodeURIComponentSafe(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
