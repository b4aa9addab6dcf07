import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { CLOSE_CODES, closeReason, type ServerFrame } from '@herald/protocol';
import type { Transport } from '../session/transport.js';
import { corkForTurn } from '../session/turn-cork.js';

/**
 * The WebSocket frame (FIN, text, unmasked) of a payload, built once per payload: fan-out writes the same
 * Buffer to every subscriber one after another, so a one-entry cache hits for all but the first; a
 * shared replay (one recovery read for many resuming subscribers) writes a few Buffers in turn to each,
 * so the frames of payloads still alive are kept in a WeakMap too.
 */
let lastPayload: Buffer | undefined;
let lastFramed: Buffer | undefined;
const framedOf = new WeakMap<Buffer, Buffer>();
function framed(payload: Buffer): Buffer {
  if (payload === lastPayload) return lastFramed!;
  const known = framedOf.get(payload);
  if (known) {
    lastPayload = payload;
    lastFramed = known;
    return known;
  }
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + n);
  out[0] = 0x81;
  if (n < 126) out[1] = n;
  else if (n < 65_536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  payload.copy(out, head);
  framedOf.set(payload, out);
  lastPayload = payload;
  lastFramed = out;
  return out;
}

interface WsInternals {
  _socket?: Duplex & { corked?: number };
  _sender?: { _state?: number; _queue?: unknown[] };
}

/** The WebSocket adapter: text frames, protocol pings, and a bound on what a slow reader may queue. */
export class WsTransport implements Transport {
  readonly name = 'ws' as const;
  readonly unidirectional = false;
  private static readonly PING = Buffer.from('{"type":"ping"}');

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

  send(data: string | Buffer, _type?: ServerFrame['type']): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      this.close(CLOSE_CODES.slow_consumer, 'slow consumer');
      return;
    }
    const { _socket: socket, _sender: sender } = this.ws as unknown as WsInternals;
    // Every frame of this turn to this socket leaves in one syscall: `subscribed` and its replay, a
    // fan-out burst, the `connected` frame with the 101 response (the adapter corks during the upgrade).
    if (socket) corkForTurn(socket);
    if (typeof data === 'string' || !socket || sender?._state !== 0 || sender._queue?.length !== 0) {
      // Not a shared Buffer, or ws is busy with a frame of its own (never with permessage-deflate off):
      // let ws frame and order it.
      this.ws.send(data, { binary: false });
      return;
    }
    // The fan-out path: the frame built once for every subscriber, written straight to the socket
    // (what ws.send does for an unmasked text frame, minus the per-socket header and second write).
    socket.write(framed(data));
  }

  /** A protocol ping (answered by any client's WebSocket stack) and a frame the SDK can see. */
  ping(): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // Corked, the protocol ping and the JSON ping leave in one write (with every other socket's of the sweep).
    const socket = (this.ws as unknown as WsInternals)._socket;
    if (socket) corkForTurn(socket);
    this.ws.ping();
    this.send(WsTransport.PING, 'ping');
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, closeReason(reason));
  }
}
