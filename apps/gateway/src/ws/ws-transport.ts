import { WebSocket } from 'ws';
import { CLOSE_CODES, closeReason } from '@herald/protocol';
import { OutboundFrame } from '../session/outbound-frame.js';
import type { Transport } from '../session/transport.js';
import { corkForTurn } from '../session/turn-cork.js';
import { socketOf, writeWsFrame } from './ws-writer.js';

/** The WebSocket adapter: text frames, protocol pings, and a bound on what a slow reader may queue. */
export class WsTransport implements Transport {
  readonly name = 'ws' as const;
  readonly unidirectional = false;
  private static readonly PING = OutboundFrame.of({ type: 'ping' });

  constructor(
    private readonly ws: WebSocket,
    private readonly maxBufferedBytes: number,
    readonly pingIntervalMs: number,
  ) {}

  /** Made on demand (drain), not per connection: a promise and a listener for every socket cost memory. */
  whenClosed(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.ws.once('close', () => resolve()));
  }

  terminate(): void {
    this.ws.terminate();
  }

  send(frame: OutboundFrame): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      this.close(CLOSE_CODES.slow_consumer, 'slow consumer');
      return;
    }
    writeWsFrame(this.ws, frame);
  }

  /** A protocol ping (answered by any client's WebSocket stack) and a frame the SDK can see. */
  ping(): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // Corked, the protocol ping and the JSON ping leave in one write (with every other socket's of the sweep).
    const socket = socketOf(this.ws);
    if (socket) corkForTurn(socket);
    this.ws.ping();
    this.send(WsTransport.PING);
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, closeReason(reason));
  }
}
