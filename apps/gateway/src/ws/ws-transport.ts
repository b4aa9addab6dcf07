import { WebSocket } from 'ws';
import { CLOSE_CODES, closeReason, type ServerFrame } from '@herald/protocol';
import type { Transport } from '../session/transport.js';

/** The WebSocket adapter: text frames, protocol pings, and a bound on what a slow reader may queue. */
export class WsTransport implements Transport {
  readonly name = 'ws' as const;
  readonly unidirectional = false;
  private static readonly PING = Buffer.from('{"type":"ping"}');

  private readonly closedPromise: Promise<void>;

  constructor(
    private readonly ws: WebSocket,
    private readonly maxBufferedBytes: number,
    readonly pingIntervalMs: number,
  ) {
    this.closedPromise = new Promise((resolve) => ws.once('close', () => resolve()));
  }

  whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  terminate(): void {
    this.ws.terminate();
  }

  send(data: string | Buffer, _type?: ServerFrame['type']): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      this.close(CLOSE_CODES.slow_consumer, 'slow consumer');
      return;
    }
    this.ws.send(data, { binary: false });
  }

  /** A protocol ping (answered by any client's WebSocket stack) and a frame the SDK can see. */
  ping(): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.ping();
    this.send(WsTransport.PING, 'ping');
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, closeReason(reason));
  }
}
