import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Slowloris guard: a connection must finish its first request's headers (or WebSocket upgrade) within
 * `timeoutMs`, or it is dropped. One shared sweep for every pending socket; Node's own headersTimeout
 * is only checked every 30 s, far too late with hundreds of trickling clients.
 */
export function closeSlowHandshakes(server: Server, timeoutMs: number): () => void {
  const pending = new Map<Socket, number>();
  server.on('connection', (socket: Socket) => {
    pending.set(socket, Date.now());
    socket.once('close', () => pending.delete(socket));
  });
  const done = (req: { socket: Socket }) => pending.delete(req.socket);
  server.on('request', done);
  server.on('upgrade', done);
  server.headersTimeout = timeoutMs;
  const timer = setInterval(() => {
    const deadline = Date.now() - timeoutMs;
    for (const [socket, since] of pending) {
      if (since < deadline) {
        pending.delete(socket);
        socket.destroy();
      }
    }
  }, Math.max(100, Math.floor(timeoutMs / 4)));
  timer.unref();
  return () => clearInterval(timer);
}
