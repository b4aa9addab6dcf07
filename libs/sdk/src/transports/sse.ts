import { fromClose } from '../errors.js';
import { withQuery } from '../url.js';
import type { EventSourceLike } from '../types.js';
import { isServerFrame, type ServerFrame } from '../wire.js';
import { probe } from './http.js';
import { HttpTransport } from './http-transport.js';

const NAMED = ['connected', 'subscribed', 'reset', 'presence', 'herald-error', 'disconnect', 'ping'] as const;

/**
 * Server-Sent Events on `/sse`. The SDK owns reconnection: on any stream error it closes the
 * EventSource (which would otherwise retry on its own, blind to refusals) and lets the client core
 * reconnect with backoff and a cursor of its positions. EventSource cannot read why a stream was
 * refused, so an error before the stream opened is probed with fetch to learn the reason.
 * Liveness: the server sends a `ping` event every pingInterval (from `connected`); a stream silent
 * for pingInterval + pongTimeout is dropped and the client reconnects, as on WebSocket.
 */
export class SseTransport extends HttpTransport {
  readonly name = 'sse' as const;
  protected readonly cursorParam = 'lastEventId';
  private es?: EventSourceLike;
  private streamOpen = false;
  private silenceMs = 0;
  private deadline?: unknown;

  protected start(): void {
    if (this.done) return;
    if (this.set.size === 0) {
      void this.idle('sse');
      return;
    }
    const Ctor = this.ctx.EventSource ?? (typeof EventSource === 'function' ? (EventSource as unknown as NonNullable<typeof this.ctx.EventSource>) : undefined);
    if (!Ctor) {
      this.finish({ code: 1006, reason: 'No EventSource available: pass options.EventSource', unavailable: true });
      return;
    }
    const url = withQuery(this.base('sse'), this.query());
    const es = new Ctor(url);
    this.es = es;
    this.streamOpen = false;
    const live = () => this.es === es && !this.done;
    const deliver = (data: string) => {
      if (!live()) return;
      this.armHeartbeat();
      let frame: unknown;
      try {
        frame = JSON.parse(data);
      } catch {
        return;
      }
      if (isServerFrame(frame)) this.frame(frame);
    };
    es.onmessage = (ev) => deliver(ev.data);
    for (const name of NAMED) es.addEventListener(name, (ev) => deliver(ev.data));
    es.onerror = () => {
      if (!live()) return;
      es.close();
      this.es = undefined;
      if (this.streamOpen) {
        this.finish({ code: 1006, reason: 'stream ended' });
        return;
      }
      void probe(this.fetch, url).then((v) => {
        if (this.done || this.es) return;
        if (v.kind === 'ok' || v.kind === 'network' || v.kind === 'retry') this.finish({ code: 1006, reason: v.kind === 'ok' ? 'stream failed' : v.error.content });
        else this.refused(v);
      });
    };
  }

  private frame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'connected':
        this.streamOpen = true;
        this.silenceMs = frame.pingInterval + frame.pongTimeout;
        this.armHeartbeat();
        this.connected(frame.connectionId);
        return;
      case 'ping':
        return;
      case 'disconnect': {
        const terminal = !frame.reconnect;
        this.finish({ code: frame.code, reason: frame.reason, terminal: terminal ? fromClose(frame.code, frame.reason) : undefined });
        return;
      }
      default:
        this.emit(frame);
    }
  }

  private armHeartbeat(): void {
    if (!this.silenceMs) return;
    const t = this.ctx.timers;
    if (this.deadline !== undefined) t.clearTimeout(this.deadline);
    this.deadline = t.setTimeout(() => {
      if (this.done || !this.es) return;
      this.es.close();
      this.es = undefined;
      this.finish({ code: 4501, reason: 'heartbeat timeout' });
    }, this.silenceMs);
  }

  protected stop(): void {
    if (this.deadline !== undefined) this.ctx.timers.clearTimeout(this.deadline);
    this.es?.close();
    this.es = undefined;
  }
}
