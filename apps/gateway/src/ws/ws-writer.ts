import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { OutboundFrame } from '../session/outbound-frame.js';
import { corkForTurn } from '../session/turn-cork.js';

/** The two `ws` internals the fast path relies on (ws 8): the raw socket and the sender's state. */
interface WsInternals {
  _socket?: Duplex;
  _sender?: { _state?: number; _queue?: unknown[] };
}

/** The raw socket under a `ws` WebSocket, if it has one yet. */
export function socketOf(ws: WebSocket): Duplex | undefined {
  return (ws as unknown as WsInternals)._socket;
}

/**
 * Writes a frame, corked for the rest of the event-loop turn (every frame of a turn to one socket
 * leaves in one syscall). The fan-out path writes the frame's pre-built WebSocket bytes straight to the
 * socket — what `ws.send` does for an unmasked text frame, minus building the header per socket and a
 * second write — whenever `ws` has nothing of its own in flight (never with permessage-deflate off,
 * which Herald runs); otherwise `ws` frames and orders it. Returns which path was taken (tested).
 */
export function writeWsFrame(ws: WebSocket, frame: OutboundFrame): 'direct' | 'ws' {
  const { _socket: socket, _sender: sender } = ws as unknown as WsInternals;
  if (socket) corkForTurn(socket);
  if (!socket || sender?._state !== 0 || sender._queue?.length !== 0) {
    ws.send(frame.payload, { binary: false });
    return 'ws';
  }
  socket.write(frame.ws());
  return 'direct';
}
