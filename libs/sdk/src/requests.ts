import { ConnectionLost, HeraldError, errors, toHeraldError } from './errors.js';
import type { Timers } from './types.js';
import type { Transport } from './transports/transport.js';

const RETRY_MS = 500;

interface Queued {
  exec: (t: Transport) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: HeraldError) => void;
  timer: unknown;
  done: boolean;
}

/**
 * Calls (publish, history, hereNow, presence) and the connection they need. A call made while not
 * connected waits in a bounded queue and goes out, in order, when the connection opens; a call whose
 * connection drops before its answer goes out again on the next one (publishes carry a message id,
 * so the gateway stores a re-sent publish once). Every call ends within `timeout` — answered, or
 * rejected with 408 — and a full queue rejects at once with 503: never an unbounded backlog.
 */
export class Requests {
  private readonly queue: Queued[] = [];
  private transport?: Transport;

  constructor(
    private readonly timers: Timers,
    private readonly timeout: number,
    private readonly maxQueued: number,
  ) {}

  run<T>(what: string, exec: (t: Transport) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const q: Queued = { exec, resolve: resolve as (v: unknown) => void, reject, timer: undefined, done: false };
      if (!this.transport && this.queue.length >= this.maxQueued) return reject(errors.queueFull(this.maxQueued));
      q.timer = this.timers.setTimeout(() => this.end(q, errors.timeout(what)), this.timeout);
      if (this.transport) this.send(q, this.transport);
      else this.queue.push(q);
    });
  }

  /** The connection opened: everything waiting goes out in the order it was called. */
  opened(transport: Transport): void {
    this.transport = transport;
    for (const q of this.queue.splice(0)) this.send(q, transport);
  }

  lost(): void {
    this.transport = undefined;
  }

  /** disconnect() or connect_failed: nothing waiting will ever be sent. */
  failAll(error: HeraldError): void {
    for (const q of this.queue.splice(0)) this.end(q, error);
  }

  private send(q: Queued, t: Transport): void {
    if (q.done) return;
    q.exec(t).then(
      (v) => this.end(q, undefined, v),
      (e: unknown) => {
        if (q.done) return;
        if (!(e instanceof ConnectionLost)) return this.end(q, toHeraldError(e));
        if (!this.transport) this.queue.push(q);
        else if (this.transport !== t) this.send(q, this.transport);
        // Same connection still up (an HTTP call failed on its own): try again shortly.
        else this.timers.setTimeout(() => (this.transport ? this.send(q, this.transport) : this.queue.push(q)), RETRY_MS);
      },
    );
  }

  private end(q: Queued, error?: HeraldError, value?: unknown): void {
    if (q.done) return;
    q.done = true;
    this.timers.clearTimeout(q.timer);
    const i = this.queue.indexOf(q);
    if (i >= 0) this.queue.splice(i, 1);
    if (error) q.reject(error);
    else q.resolve(value);
  }
}
