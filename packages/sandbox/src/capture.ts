import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { auraError, ok, parseJsonObject, plainError, type Reply, validationError } from './http';
import { bearerToken } from './tokens';
import type { CapturedBatch } from './types';

const gunzipAsync = promisify(gunzip);

export const DEFAULT_CAPTURE_KEY = 'aura_ck_sandbox';
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

export interface CaptureProject {
  id: string;
  name: string;
  description?: string;
}

/** The capture collector: SDK key → project, and the batches sent to it, in memory. */
export class CaptureCollector {
  #batches: CapturedBatch[] = [];

  constructor(readonly keys: Map<string, CaptureProject>) {}

  /** The key from `Authorization: Bearer`, `X-Capture-Key`, or a JSON body's `key`. */
  #project(req: IncomingMessage, bodyKey?: unknown): CaptureProject | undefined {
    const header = req.headersDistinct['x-capture-key'];
    const key =
      bearerToken(req.headersDistinct.authorization) ??
      (header?.length === 1 ? header[0] : undefined) ??
      (typeof bodyKey === 'string' ? bodyKey : undefined);
    return key === undefined ? undefined : this.keys.get(key);
  }

  /** `POST /capture/v1/auth`, answered like otas's authenticate. */
  authenticate(req: IncomingMessage, raw: Buffer): Reply {
    const body = parseJsonObject(raw);
    const project = this.#project(req, body.ok ? body.value.key : undefined);
    if (project === undefined) return unauthorised();
    const shown = { id: project.id, name: project.name, description: project.description ?? '' };
    return ok({
      Status: 1,
      status_description: 'authenticated',
      Response: { project: shown },
      project: shown,
    });
  }

  /** `POST /capture/v1/batches`: a JSON array of events or `{ events: [...] }`, plain or gzip. */
  async receive(req: IncomingMessage, raw: Buffer): Promise<Reply> {
    const project = this.#project(req);
    if (project === undefined) return unauthorised();
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    let bytes = raw;
    if (encoding === 'gzip' || (raw[0] === 0x1f && raw[1] === 0x8b)) {
      try {
        bytes = await gunzipAsync(raw, { maxOutputLength: MAX_INFLATED_BYTES });
      } catch {
        return plainError(400, 'The request body is not valid gzip.');
      }
    } else if (encoding !== 'identity') {
      return plainError(415, `Content-Encoding ${encoding} is not supported (use gzip).`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      return plainError(400, 'The request body is not valid JSON.');
    }
    const events = Array.isArray(parsed)
      ? parsed
      : parsed !== null && typeof parsed === 'object'
        ? (parsed as Record<string, unknown>).events
        : undefined;
    if (!Array.isArray(events)) {
      return validationError({
        events: ['The events field is required and must be an array.'],
      });
    }
    const bad = events.findIndex((e) => e === null || typeof e !== 'object' || Array.isArray(e));
    if (bad !== -1) {
      return validationError({ [`events.${bad}`]: [`The events.${bad} field must be an object.`] });
    }
    const batch: CapturedBatch = {
      id: randomUUID(),
      projectId: project.id,
      receivedAt: new Date().toISOString(),
      encoding: raw !== bytes ? 'gzip' : 'identity',
      events,
    };
    this.#batches.push(batch);
    return ok({ accepted: events.length, batch_id: batch.id }, 202);
  }

  batches(): CapturedBatch[] {
    return this.#batches.map((b) => ({ ...b, events: [...b.events] }));
  }

  events(): unknown[] {
    return this.#batches.flatMap((b) => b.events);
  }

  clear(): void {
    this.#batches = [];
  }
}

function unauthorised(): Reply {
  return auraError(401, 'invalid_capture_key', 'The capture key is missing or not known.');
}
