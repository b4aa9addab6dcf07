import type { OutboundFrame } from '../session/outbound-frame.js';
import type { Transport } from '../session/transport.js';

/**
 * Long-polling: a session that lives for one request. Frames are collected; the first one worth an
 * answer (a message, a reset, an error, a subscription that could not recover) wakes the request.
 */
export class PollTransport implements Transport {
  readonly name = 'poll' as const;
  readonly unidirectional = true;
  readonly pingIntervalMs = Number.MAX_SAFE_INTEGER; // nothing to ping: the request ends by itself
  readonly frames: string[] = [];
  private wake?: () => void;

  send(frame: OutboundFrame): void {
    if (frame.type === 'connected' || frame.type === 'ping') return;
    // A subscription that resumed is routine; one that could not must reach the client.
    if (frame.type === 'subscribed' && frame.recovered) return;
    this.frames.push(frame.text());
    this.wake?.();
  }

  /** Resolves when there is something to answer with, or after `holdMs`. */
  waitForFrames(holdMs: number, gone: Promise<void>): Promise<void> {
    if (this.frames.length > 0 || holdMs === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, holdMs);
      // Answer on the next turn, so frames arriving in the same burst travel together.
      this.wake = () => setImmediate(done);
      void gone.then(done);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  ping(): void {}

  /** A drained gateway answers held polls at once; the cursor sends the client's next poll elsewhere. */
  close(): void {
    this.wake?.();
  }

  whenClosed(): Promise<void> {
    return Promise.resolve();
  }

  terminate(): void {}
}
