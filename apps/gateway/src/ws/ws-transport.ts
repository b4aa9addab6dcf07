import { WebSocket } from 'ws';
import { CLOSE_CODES, closeReason } from '@herald/protocol';
import type { Transport } from '../session/transport.js';

/** The WebSocket adapter: text frames, protocol pings, and a bound on what a slow reader may queue. */
export class WsTransport implements Transport {
  readonly name = 'ws' as const;

  constructor(
    private readonly ws: WebSocket,
    private readonly maxBufferedBytes: number,
  ) {}

  send(data: string | Buffer): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      this.close(CLOSE_CODES.slow_consumer, 'slow consumer');
      return;
    }
    this.ws.send(data, { binary: false });
  }

  ping(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, closeReason(reason));
  }
}
