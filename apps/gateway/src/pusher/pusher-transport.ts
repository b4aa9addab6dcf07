import { WebSocket } from 'ws';
import { CLOSE_CODES, closeReason, type Position } from '@herald/protocol';
import { OutboundFrame } from '../session/outbound-frame.js';
import type { Transport } from '../session/transport.js';
import { corkForTurn } from '../session/turn-cork.js';
import { socketOf, writeWsFrame } from '../ws/ws-writer.js';
import { pusherCodeFor } from './pusher-codes.js';
import { pusherError, pusherMessage, toPusher, type PusherSocketInfo } from './pusher-frames.js';

/** The core's ping frame, translated by toPusher like any other. */
const PING_FRAME = OutboundFrame.of({ type: 'ping' });

/**
 * A Pusher (protocol 7) WebSocket: the session core's frames, translated to Pusher's on the way out;
 * Herald's close codes become Pusher's (pusher-codes.ts), preceded by the `pusher:error` Pusher sends.
 */
export class PusherTransport implements Transport, PusherSocketInfo {
  readonly name = 'pusher' as const;
  readonly unidirectional = false;
  readonly resuming = new Map<string, Position | null>();
  readonly presenceUsers = new Map<string, string>();

  constructor(
    private readonly ws: WebSocket,
    private readonly maxBufferedBytes: number,
    readonly pingIntervalMs: number,
    readonly socketId: string,
    readonly activityTimeout: number,
  ) {}

  whenClosed(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.ws.once('close', () => resolve()));
  }

  terminate(): void {
    this.ws.terminate();
  }

  send(frame: OutboundFrame): void {
    if (frame.type === 'message') {
      // The fan-out path: the message's Pusher frame is shared by every Pusher socket, framed once.
      const out = pusherMessage(frame, this);
      if (out && this.writable()) writeWsFrame(this.ws, out);
      return;
    }
    const text = toPusher(frame, this);
    if (text !== undefined) this.write(text);
  }

  /** A Pusher frame built by the connection itself (pong, subscription errors). */
  write(text: string): void {
    if (!this.writable()) return;
    const socket = socketOf(this.ws);
    if (socket) corkForTurn(socket);
    this.ws.send(text);
  }

  /** Open and keeping up; a reader too slow for its buffer is closed as Herald's own sockets are. */
  private writable(): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    if (this.ws.bufferedAmount <= this.maxBufferedBytes) return true;
    this.close(CLOSE_CODES.slow_consumer, 'slow_consumer: slow consumer');
    return false;
  }

  /** A protocol ping and `pusher:ping` (pusher-js answers `pusher:pong`), in one write. */
  ping(): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const socket = socketOf(this.ws);
    if (socket) corkForTurn(socket);
    this.ws.ping();
    this.send(PING_FRAME);
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState !== WebSocket.OPEN && this.ws.readyState !== WebSocket.CONNECTING) return;
    const pusherCode = pusherCodeFor(reason, code);
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(pusherError(reason, pusherCode));
    this.ws.close(pusherCode, closeReason(reason));
  }
}
