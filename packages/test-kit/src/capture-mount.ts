/**
 * The capture suite's mount contract (see README.md, "Capture conformance"). Kept apart from
 * the suite itself: the memory scenario bundles an adapter's mount module into a child process,
 * and this file is all of `@aura/test-kit` such a module may import.
 */
import type {
  CaptureControls,
  CaptureOptions,
  CaptureRetryOptions,
  InboundVerifierOptions,
} from '@aura/core';

/** The routes a capture app serves. */
export const CAPTURE_PATHS = {
  /**
   * `GET`, declared through the framework's prefix mechanism (a router mounted at `/v1`, a
   * `prefix`, a controller path) as `/things/:thingId`, answering `{ thingId }`.
   */
  thing: '/v1/things/:thingId',
  /** `POST`, a JSON body parsed by the framework's usual parser, answered as it came, with `Set-Cookie: ECHO_COOKIE`. */
  echo: '/echo',
  /** `GET`, `text/plain`, written as `STREAM_CHUNKS` one after another (chunked, no length). */
  stream: '/stream',
  /** `POST`, any body, read to its end without keeping it, answering `{ bytes }`. */
  upload: '/upload',
  /** `POST`, guarded by `verifyAuraSignature(setup.verify)`, answering `{ from, got }`. */
  hook: '/hooks/aura',
} as const;

/** What the echo route sets as `Set-Cookie`. */
export const ECHO_COOKIE = 'session=s3ssion-c00kie-value';

/** What the stream route writes, in order, with a short pause between chunks. */
export const STREAM_CHUNKS = ['alpha,', 'beta,', 'gamma'] as const;

export interface CaptureMountSetup {
  /** Passed as they are to the adapter's `auraCapture(setup.capture)`, installed first. */
  capture: Omit<CaptureOptions, 'skip'> & CaptureRetryOptions;
  /** Options for `verifyAuraSignature(setup.verify)` on `POST /hooks/aura`. */
  verify: InboundVerifierOptions;
}

/** A real server on 127.0.0.1 (port 0), and the value `auraCapture()` returned. */
export interface CaptureMounted {
  url: string;
  capture: CaptureControls;
  close(): Promise<void>;
}

export type CaptureMount = (setup: CaptureMountSetup) => Promise<CaptureMounted>;
