import type { ServerResponse } from 'node:http';
import { CLOSE_CODES, encodeCursor, isTerminalClose, type ServerFrame } from '@herald/protocol';
import type { OutboundFrame } from '../session/outbound-frame.js';
import { corkForTurn } from '../session/turn-cork.js';
import type { Session } from '../session/session.js';
import type { Transport } from '../session/transport.js';

/**
 * The `id:` line of a session with one subscription depends only on (channel, epoch, offset), the same
 * for every such subscriber of a message: encoded once per message instead of once per subscriber.
 */
let lastId = { channel: '', epoch: '', offset: -1, line: '' };

/** SSE event names for non-message frames; `error` is renamed, since EventSource uses it for its own. */
const EVENT_NAMES: Partial<Record<ServerFrame['type'], string>> = { error: 'herald-error' };

/**
 * Server-Sent Events: messages as default `message` events, other frames as named events. Every
 * event's `id:` is the session's cursor (all channel positions) after it, so a reconnecting
 * EventSource resumes through Last-Event-ID on any gateway. Heartbeats are comment lines.
 */
export class SseTransport implements Transport {
  readonly name = 'sse' as const;
  readonly unidirectional = true;
  private session?: Session;
  private readonly closedPromise: Promise<void>;

  constructor(
    private readonly res: ServerResponse,
    readonly pingIntervalMs: number,
    private readonly maxBufferedBytes: number,
  ) {
    this.closedPromise = new Promise((resolve) => res.once('close', () => resolve()));
  }

  whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  terminate(): void {
    this.res.destroy();
  }

  attach(session: Session): void {
    this.session = session;
  }

  send(frame: OutboundFrame): void {
    const type = frame.type;
    if (this.res.writableEnded || type === 'ping') return;
    if (this.res.writableLength > this.maxBufferedBytes) {
      this.close(CLOSE_CODES.slow_consumer, 'slow consumer');
      return;
    }
    const id = this.idLine();
    const socket = this.res.socket;
    const res = this.res as ServerResponse & { chunkedEncoding?: boolean };
    if (type === 'message' && socket && res.headersSent && res.chunkedEncoding === true) {
      // The fan-out path: the frame's chunk (shared by the channel's single-subscription streams),
      // written straight to the socket, corked for the rest of the turn.
      corkForTurn(socket);
      socket.write(frame.sseMessageChunk(id));
      return;
    }
    const event = type === 'message' ? '' : `event: ${EVENT_NAMES[type] ?? type}\n`;
    this.res.write(`${id}${event}data: ${frame.text()}\n\n`);
  }

  private idLine(): string {
    const session = this.session;
    if (!session) return '';
    if (session.subscriptions.size === 1) {
      const [channel, sub] = session.subscriptions.entries().next().value!;
      if (sub.epoch !== '') {
        const c = lastId;
        if (c.offset === sub.offset && c.epoch === sub.epoch && c.channel === channel) return c.line;
        const line = `id: ${encodeCursor([[channel, sub]])}\n`;
        lastId = { channel, epoch: sub.epoch, offset: sub.offset, line };
        return line;
      }
    }
    return `id: ${session.cursor()}\n`;
  }

  /**
   * A comment line keeps proxies from closing an idle stream; the `ping` event after it is what an
   * EventSource can see, so a client can tell a silently dead stream from a quiet one.
   */
  ping(): void {
    if (!this.res.writableEnded) this.res.write(': ping\n\nevent: ping\ndata: {"type":"ping"}\n\n');
  }

  /** SSE has no close code: a `disconnect` event carries it, then the stream ends. */
  close(code: number, reason: string): void {
    if (this.res.writableEnded) return;
    const frame = { type: 'disconnect', code, reason, reconnect: !isTerminalClose(code) };
    this.res.write(`event: disconnect\ndata: ${JSON.stringify(frame)}\n\n`);
    this.res.end();
  }
}
