/**
 * A body read while it streams: bytes are counted always and copied only when they may be kept
 * (bodies on, a JSON or form content type, no content encoding), up to the cap. Past the cap
 * the copy stops (what was copied is let go); nothing is ever buffered whole, and a body the
 * application never reads is never read here either.
 */
import { isJsonContentType, looksLikeJson } from '../server/http';

const FORM = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Why a body is not in the event, as the marker the event holds instead. */
export type BodyOmitted =
  | '[omitted: over maxBodyBytes]'
  | '[omitted: binary or upload content]'
  | '[omitted: content encoded]'
  | '[omitted: not valid UTF-8]'
  | '[omitted: not valid JSON]';

/** Whether a body of this type may be copied at all: JSON, forms, or no type (sniffed at end). */
export function keepableContentType(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType.trim() === '') return true;
  return isJsonContentType(contentType) || FORM.test(contentType.trim());
}

export class BodyTee {
  size = 0;
  #chunks: Uint8Array[] = [];
  #copied = 0;
  #overCap = false;
  #keep: boolean;
  #contentType: string | undefined;
  #encoded = false;

  constructor(
    keep: boolean,
    readonly cap: number,
  ) {
    this.#keep = keep;
  }

  /** Bytes copied and held now (for the recorder's memory budget). */
  get held(): number {
    return this.#copied;
  }

  /** Sets (or changes) the content type and encoding, which decide whether bytes are kept. */
  describe(contentType: string | undefined, contentEncoding: string | undefined): void {
    this.#contentType = contentType;
    this.#encoded =
      contentEncoding !== undefined &&
      contentEncoding.trim() !== '' &&
      contentEncoding.trim().toLowerCase() !== 'identity';
    if (!keepableContentType(contentType) || this.#encoded) this.#release();
  }

  /** Bytes as they pass; a number counts bytes that cannot be kept (too big to copy). */
  push(bytes: Uint8Array | number): void {
    const length = typeof bytes === 'number' ? bytes : bytes.byteLength;
    if (!(length > 0)) return;
    this.size += length;
    if (!this.#keep || this.#overCap) return;
    if (typeof bytes === 'number' || this.#copied + length > this.cap) {
      this.#overCap = true;
      this.#release();
      return;
    }
    // A copy (a Node Buffer's own `slice()` would share memory): the platform may reuse, or
    // the application change, the buffer it wrote.
    this.#chunks.push(Uint8Array.prototype.slice.call(bytes));
    this.#copied += length;
  }

  #release(): void {
    this.#chunks = [];
    this.#copied = 0;
  }

  /**
   * The body for the redactor: parsed JSON, form text, a marker saying why it was not kept, or
   * nothing (bodies off, or an empty body). The copy is let go either way.
   */
  result(): BodyResult | undefined {
    const chunks = this.#chunks;
    const copied = this.#copied;
    this.#release();
    if (!this.#keep || this.size === 0) return undefined;
    if (this.#encoded) return { omitted: '[omitted: content encoded]' };
    if (!keepableContentType(this.#contentType)) {
      return { omitted: '[omitted: binary or upload content]' };
    }
    if (this.#overCap) return { omitted: '[omitted: over maxBodyBytes]' };
    const bytes = concat(chunks, copied);
    let text: string;
    try {
      text = UTF8.decode(bytes);
    } catch {
      return { omitted: '[omitted: not valid UTF-8]' };
    }
    const type = this.#contentType?.trim() ?? '';
    if (FORM.test(type)) return { form: text };
    if (type === '' && !looksLikeJson(bytes)) {
      return { omitted: '[omitted: binary or upload content]' };
    }
    try {
      return { json: JSON.parse(text) as unknown };
    } catch {
      return { omitted: '[omitted: not valid JSON]' };
    }
  }
}

export type BodyResult = { json: unknown } | { form: string } | { omitted: BodyOmitted };

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
