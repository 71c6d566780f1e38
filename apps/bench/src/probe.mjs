// A line protocol between a bench orchestrator and a server child it spawned: the orchestrator
// writes a probe's name on the child's stdin, the child answers one JSON line on stdout. It is
// how a load is charged the server CPU it cost (process.cpuUsage() before and after) and how
// the outage run reads the server's memory, without an HTTP route that would itself be load.

import { fstatSync } from 'node:fs';

/** Probes every server answers: `cpu` (µs of CPU time, user + system, so far). */
const BASE_PROBES = {
  cpu: () => {
    const { user, system } = process.cpuUsage();
    return { cpu: user + system };
  },
};

/** In the server: answers each probe line on stdin; `extra` adds probes (name → () => value). */
export function answerProbes(extra = {}) {
  const probes = { ...BASE_PROBES, ...extra };
  let pending = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    pending += chunk;
    for (let at = pending.indexOf('\n'); at !== -1; at = pending.indexOf('\n')) {
      const name = pending.slice(0, at).trim();
      pending = pending.slice(at + 1);
      const probe = probes[name];
      const answer = probe ? probe() : { error: `unknown probe ${name}` };
      process.stdout.write(`${JSON.stringify(answer)}\n`);
    }
  });
  // A pipe's end means the orchestrator is gone (killed, crashed): a server it left behind would
  // hold a CPU's worth of listeners for nothing, so it goes too. A stdin of /dev/null (a server
  // started by profile.mjs or by hand) ends at once and means nothing.
  if (stdinIsPipe()) process.stdin.once('end', () => process.exit(0));
}

function stdinIsPipe() {
  try {
    const stat = fstatSync(0);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}

/**
 * In the orchestrator: `child` was spawned with stdin and stdout piped and prints one JSON line
 * per answer (other lines it prints go to stderr). `next(seconds)` resolves the next line, parsed (or rejects at the deadline or when
 * the child exits); `ask(line, seconds)` writes a line on its stdin and resolves the answer.
 * One question at a time.
 */
export function lineChannel(child, what) {
  const lines = [];
  const waiters = [];
  let pending = '';
  let exited;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    pending += chunk;
    for (let at = pending.indexOf('\n'); at !== -1; at = pending.indexOf('\n')) {
      const line = pending.slice(0, at);
      pending = pending.slice(at + 1);
      // What the app logs (capture's start-up line) is no answer: passed on to stderr.
      if (!line.startsWith('{')) {
        if (line.trim()) process.stderr.write(`[${what}] ${line}\n`);
        continue;
      }
      const waiter = waiters.shift();
      if (waiter) waiter.resolve(line);
      else lines.push(line);
    }
  });
  child.once('exit', (code, signal) => {
    exited = new Error(`${what} exited with ${code ?? signal}`);
    for (const w of waiters.splice(0)) w.reject(exited);
  });
  // An exited child's stdin may raise EPIPE on the next write: the exit error is what matters.
  child.stdin.on('error', () => {});
  const next = (seconds) =>
    new Promise((resolve, reject) => {
      if (lines.length) return resolve(lines.shift());
      if (exited) return reject(exited);
      const waiter = {
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`${what} did not answer in ${seconds} s`));
      }, seconds * 1000);
      waiters.push(waiter);
    }).then((line) => JSON.parse(line));
  return {
    next,
    ask(line, seconds = 10) {
      if (exited) return Promise.reject(exited);
      child.stdin.write(`${line}\n`);
      return next(seconds);
    },
  };
}
