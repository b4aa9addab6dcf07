import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';

/**
 * The line a process started on port 0 prints once it listens: `herald <name> listening on <port>`, one
 * per listener (`gateway` for HTTP, `mqtt` for MQTT over TCP). Global: read every one in some output.
 */
export const LISTENING_LINE = /^herald (\w+) listening on (\d+)$/gm;

/**
 * Logs that the app is ready, with the port it really got. Asked for port 0 (the kernel picks a free
 * one), it also prints one plain line on stdout, whatever the log level, for whoever started it to read
 * (the test harness): choosing a port first and passing it in races with every other process choosing.
 */
export function announceListening(server: Server, name: string, logger: Logger, requestedPort: number, fields: Record<string, unknown> = {}): number {
  const port = (server.address() as AddressInfo).port;
  if (requestedPort === 0) process.stdout.write(`herald ${name} listening on ${port}\n`);
  logger.info({ port, ...fields }, `${name} ready`);
  return port;
}
