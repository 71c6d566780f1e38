/**
 * What every adapter's `auraCapture(options)` shares: its options and the controls the returned
 * middleware (plugin, module) carries. Only how a framework names its request differs.
 */
import type { CaptureRecorder, CaptureRetryOptions } from './recorder';
import type { CaptureControls, CaptureOptions, CaptureProject } from './types';

/** The options of an adapter's `auraCapture()`, for the framework's request type `Req`. */
export interface AdapterCaptureOptions<Req> extends CaptureOptions<Req>, CaptureRetryOptions {
  /** The application's user for the event, e.g. `(req) => req.user?.id`. */
  user?: (req: Req) => { id: string } | string | undefined;
}

/** The controls an adapter's capture carries: flush, shutdown, stats, and the start-up check. */
export interface AdapterCaptureControls extends CaptureControls {
  /** Settles when the start-up check is over: the collector's project, when there is one. */
  ready(): Promise<CaptureProject | undefined>;
}

/** `handler` (the framework's middleware or plugin) carrying `recorder`'s controls. */
export function withCaptureControls<Handler extends object>(
  handler: Handler,
  recorder: CaptureRecorder<never>,
): Handler & AdapterCaptureControls {
  const { flush, shutdown, stats, ready } = recorder;
  return Object.assign(handler, { flush, shutdown, stats, ready });
}
