import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import {
  auraError,
  jsonNestsDeeperThan,
  MAX_JSON_DEPTH,
  ok,
  parseJsonObject,
  plainError,
  type Reply,
  tooDeep,
  validationError,
} from './http';
import { bearerToken } from './tokens';
import type { CapturedBatch } from './types';

const gunzipAsync = promisify(gunzip);

export const DEFAULT_CAPTURE_KEY = 'aura_ck_sandbox';

/**
 * What the collector holds is bounded, whatever arrives: a batch inflates to at most
 * `batchBytes` (more is 413, so a 16 KiB gzip bomb costs 1 MiB, not gigabytes), holds at most
 * `batchEvents` events, and past `totalBytes` or `totalEvents` held the oldest batches are
 * dropped (and counted). Real SDK batches are a few KiB.
 */
export const CAPTURE_LIMITS = {
  batchBytes: 1024 * 1024,
  batchEvents: 10_000,
  totalBytes: 16 * 1024 * 1024,
  totalEvents: 100_000,
} as const;

interface Held {
  batch: CapturedBatch;
  /** Inflated JSON size. */
  bytes: number;
}

export interface CaptureProject {
  id: string;
  name: string;
  description?: string;
}

/** The capture collector: SDK key → project, and the batches sent to it, in memory. */
export class CaptureCollector {
  #held: Held[] = [];
  #bytes = 0;
  #events = 0;
  #dropped = { batches: 0, events: 0 };

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
        // zlib stops inflating at the cap, so a bomb never takes more than the cap in memory.
        bytes = await gunzipAsync(raw, { maxOutputLength: CAPTURE_LIMITS.batchBytes });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge();
        return plainError(400, 'The request body is not valid gzip.');
      }
    } else if (encoding !== 'identity') {
      return plainError(415, `Content-Encoding ${encoding} is not supported (use gzip).`);
    }
    if (bytes.length > CAPTURE_LIMITS.batchBytes) return tooLarge();
    const text = bytes.toString('utf8');
    // The body is level 1, `events` level 2 (or 1 for a bare array): events hold the rest.
    if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) return tooDeep('events', 'events');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
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
    if (events.length > CAPTURE_LIMITS.batchEvents) {
      return validationError({
        events: [`The events field must not have more than ${CAPTURE_LIMITS.batchEvents} items.`],
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
    this.#hold({ batch, bytes: bytes.length });
    return ok({ accepted: events.length, batch_id: batch.id }, 202);
  }

  /** Keeps a batch, dropping the oldest ones until the totals are within bounds again. */
  #hold(held: Held): void {
    this.#held.push(held);
    this.#bytes += held.bytes;
    this.#events += held.batch.events.length;
    while (
      this.#held.length > 1 &&
      (this.#bytes > CAPTURE_LIMITS.totalBytes || this.#events > CAPTURE_LIMITS.totalEvents)
    ) {
      const oldest = this.#held.shift()!;
      this.#bytes -= oldest.bytes;
      this.#events -= oldest.batch.events.length;
      this.#dropped.batches++;
      this.#dropped.events += oldest.batch.events.length;
    }
  }

  /** What is held, what was dropped to stay within the limits, and the limits. */
  accounting(): {
    held: { batches: number; events: number; bytes: number };
    dropped: { batches: number; events: number };
    limits: typeof CAPTURE_LIMITS;
  } {
    return {
      held: { batches: this.#held.length, events: this.#events, bytes: this.#bytes },
      dropped: { ...this.#dropped },
      limits: CAPTURE_LIMITS,
    };
  }

  batches(): CapturedBatch[] {
    return this.#held.map(({ batch }) => ({ ...batch, events: [...batch.events] }));
  }

  events(): unknown[] {
    return this.#held.flatMap(({ batch }) => batch.events);
  }

  clear(): void {
    this.#held = [];
    this.#bytes = 0;
    this.#events = 0;
    this.#dropped = { batches: 0, events: 0 };
  }
}

function tooLarge(): Reply {
  return plainError(
    413,
    `A capture batch may inflate to at most ${CAPTURE_LIMITS.batchBytes} bytes of JSON.`,
  );
}

function unauthorised(): Reply {
  return auraError(401, 'invalid_capture_key', 'The capture key is missing or not known.');
}
