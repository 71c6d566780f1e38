import { randomUUID } from 'node:crypto';
import type { ActiveFault } from './types';

export type FaultCheck = { ok: true; fault: ActiveFault } | { ok: false; message: string };

/** Checks a rule given over HTTP or in code; answers a message naming what is wrong. */
export function validateFault(input: unknown): FaultCheck {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, message: 'A fault is a JSON object.' };
  }
  const rule = input as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof rule.path !== 'string' || !rule.path.startsWith('/')) {
    problems.push('path must be a string starting with "/"');
  }
  if (rule.method !== undefined && typeof rule.method !== 'string') {
    problems.push('method must be a string');
  }
  const times = rule.times ?? 1;
  if (!Number.isSafeInteger(times) || (times as number) < 1) {
    problems.push('times must be a positive integer');
  }
  const status = rule.status;
  if (
    status !== undefined &&
    (!Number.isSafeInteger(status) || (status as number) < 100 || (status as number) > 599)
  ) {
    problems.push('status must be an HTTP status (100–599)');
  }
  if (
    rule.retryAfter !== undefined &&
    (!Number.isSafeInteger(rule.retryAfter) || (rule.retryAfter as number) < 0)
  ) {
    problems.push('retryAfter must be a non-negative integer (seconds)');
  }
  if (
    rule.delayMs !== undefined &&
    (typeof rule.delayMs !== 'number' || !(rule.delayMs >= 0) || rule.delayMs > 600_000)
  ) {
    problems.push('delayMs must be a number of milliseconds between 0 and 600000');
  }
  if (rule.drop !== undefined && typeof rule.drop !== 'boolean') {
    problems.push('drop must be a boolean');
  }
  if (rule.status === undefined && rule.delayMs === undefined && rule.drop !== true) {
    problems.push('give at least one of status, delayMs or drop');
  }
  if (rule.drop === true && rule.status !== undefined) {
    problems.push('drop and status exclude each other');
  }
  if (problems.length > 0) return { ok: false, message: problems.join('; ') };
  const fault: ActiveFault = {
    id: randomUUID(),
    path: rule.path as string,
    times: times as number,
    remaining: times as number,
  };
  if (typeof rule.method === 'string') fault.method = rule.method.toUpperCase();
  if (status !== undefined) fault.status = status as number;
  if (rule.retryAfter !== undefined) fault.retryAfter = rule.retryAfter as number;
  if (rule.delayMs !== undefined) fault.delayMs = rule.delayMs as number;
  if (rule.drop === true) fault.drop = true;
  return { ok: true, fault };
}

function matches(rulePath: string, path: string): boolean {
  const candidates = [rulePath];
  if (!/^\/(?:api|files|capture)(?:\/|$|\*)/.test(rulePath)) candidates.push(`/api${rulePath}`);
  return candidates.some((p) =>
    p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : path === p || path === `${p}/`,
  );
}

/** Faults waiting for the calls they apply to, first added first used. */
export class FaultQueue {
  #faults: ActiveFault[] = [];

  add(fault: ActiveFault): ActiveFault {
    this.#faults.push(fault);
    return fault;
  }

  /** Takes one use of the first fault matching this call, if any. */
  take(method: string, path: string): ActiveFault | undefined {
    const index = this.#faults.findIndex(
      (f) => (f.method === undefined || f.method === method) && matches(f.path, path),
    );
    if (index === -1) return undefined;
    const fault = this.#faults[index]!;
    fault.remaining--;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    return { ...fault };
  }

  list(): ActiveFault[] {
    return this.#faults.map((f) => ({ ...f }));
  }

  clear(): void {
    this.#faults = [];
  }
}
