import type { Sdk } from './sdk.js';

/** A fake clock for the SDK's injectable timers: time moves only when the test says so. */
export class FakeClock implements Sdk.Timers {
  private t = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Runs every timer due within `ms`, in time order (timers set meanwhile included). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }

  get pending(): number[] {
    return [...this.timers.values()].map((x) => x.at - this.t).sort((a, b) => a - b);
  }
}

/** An in-process fake gateway socket: the test opens, sends frames and closes it by hand. */
export class FakeSocket implements Sdk.WebSocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  onopen: Sdk.WebSocketLike['onopen'] = null;
  onclose: Sdk.WebSocketLike['onclose'] = null;
  onerror: Sdk.WebSocketLike['onerror'] = null;
  onmessage: Sdk.WebSocketLike['onmessage'] = null;
  readonly sent: Array<Record<string, unknown>> = [];

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }

  static get last(): FakeSocket {
    return FakeSocket.all[FakeSocket.all.length - 1];
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** The server accepts: socket open, then the `connected` frame. */
  accept(pingInterval = 1000, pongTimeout = 500): void {
    this.readyState = 1;
    this.onopen?.({});
    this.frame({ type: 'connected', connectionId: `c${FakeSocket.all.length}`, pingInterval, pongTimeout });
  }

  frame(f: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(f) });
  }

  /** Answers every subscribe item sent so far with `subscribed`. */
  confirmSubscriptions(top = 0): void {
    for (const f of this.sent.filter((x) => x.type === 'subscribe')) {
      for (const item of f.channels as Array<{ channel: string; offset?: number; epoch?: string }>) {
        this.frame({ type: 'subscribed', id: f.id, channel: item.channel, epoch: item.epoch ?? 'E1', offset: item.offset ?? top, recovered: true, replayed: 0 });
      }
    }
  }
}

/** An in-process fake EventSource: the test sends named events (as the gateway's `/sse` does) by hand. */
export class FakeEventSource implements Sdk.EventSourceLike {
  static all: FakeEventSource[] = [];
  onopen: Sdk.EventSourceLike['onopen'] = null;
  onerror: Sdk.EventSourceLike['onerror'] = null;
  onmessage: Sdk.EventSourceLike['onmessage'] = null;
  closed = false;
  private readonly listeners = new Map<string, Array<(ev: { data: string }) => void>>();

  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }

  static get last(): FakeEventSource {
    return FakeEventSource.all[FakeEventSource.all.length - 1];
  }

  addEventListener(type: string, listener: (ev: { data: string }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  close(): void {
    this.closed = true;
  }

  /** One server event, as the gateway's `/sse` sends it: messages unnamed (onmessage), other frames named by their type. */
  event(frame: Record<string, unknown> & { type: string }): void {
    if (this.closed) return;
    const ev = { data: JSON.stringify(frame) };
    if (frame.type === 'message') this.onmessage?.(ev);
    else for (const l of this.listeners.get(frame.type) ?? []) l(ev);
  }
}
