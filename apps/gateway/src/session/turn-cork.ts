import type { Writable } from 'node:stream';

/**
 * Sockets written in this turn of the event loop, corked until the turn's microtasks are done: frames
 * that reach one socket in the same turn (a burst read from Redis in one chunk, an SSE event's id and
 * data lines) leave in one syscall. Shared by the WebSocket and SSE fan-out paths.
 */
const corked: Writable[] = [];

function uncorkAll(): void {
  for (const s of corked) s.uncork();
  corked.length = 0;
}

export function corkForTurn(socket: Writable): void {
  if (socket.writableCorked) return;
  if (corked.length === 0) process.nextTick(uncorkAll);
  socket.cork();
  corked.push(socket);
}
