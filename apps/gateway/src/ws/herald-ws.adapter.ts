import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketAdapter } from '@nestjs/common';
import { WebSocket, WebSocketServer, createWebSocketStream } from 'ws';
import { CLOSE_CODES, HARD_FRAME_LIMIT, closeCodeFor, closeReason } from '@herald/protocol';
import { mapError, type ErrorSink } from '@herald/http';
import type { Admitted, ConnectAuth } from '../connect/connect-auth.js';
import { corkForTurn } from '../session/turn-cork.js';

function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** What each accepted upgrade request authenticated as; read by the gateway on connection. */
export const handshakes = new WeakMap<IncomingMessage, Admitted>();

/** Pusher's WebSocket path: `/app/{key}` (query `protocol=7&client=…&version=…`). */
const PUSHER_PATH = /^\/app\/([^/]{1,200})\/?$/;
/** The Pusher protocol version served (pusher-js 8 speaks 7). */
const PUSHER_PROTOCOL = '7';

/** A path segment decoded; a malformed escape (`%E0%A4%A`) stays as sent and fails the key check. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Where an admitted Pusher upgrade goes (apps/gateway/src/pusher). */
export interface PusherUpgrades {
  accept(ws: WebSocket, connect: Admitted): void;
  refuse(ws: WebSocket, reason: string, detail: string): void;
}

/** Where a WebSocket on `/mqtt` goes (apps/gateway/src/mqtt): MQTT's CONNECT carries the credentials. */
export interface MqttUpgrades {
  accept(stream: Duplex, origin?: string): void;
}

/** MQTT over WebSocket: the path, and the subprotocol MQTT 3.1.1 and 5.0 clients ask for. */
const MQTT_PATH = '/mqtt';
const MQTT_SUBPROTOCOL = 'mqtt';

/**
 * @nestjs/websockets adapter over `ws`, owning the upgrade: the key and Origin are checked before any
 * frame flows. A refused client is upgraded and closed at once with a 44xx code and its reason, because
 * a browser cannot read the HTTP status of a refused upgrade and the SDK must report why
 * (docs/protocol.md). Frames over 1 MiB close with 1009; permessage-deflate is off (CPU and memory).
 * Messages are wired by the gateway straight into the session core, not Nest's message routing.
 */
export class HeraldWsAdapter implements WebSocketAdapter<WebSocketServer, WebSocket> {
  constructor(
    private readonly httpServer: Server,
    private readonly auth: ConnectAuth,
    private readonly enabled: boolean,
    private readonly sink: ErrorSink,
    private readonly pusher?: PusherUpgrades,
    private readonly mqtt?: MqttUpgrades,
  ) {}

  create(_port: number, options?: { path?: string }): WebSocketServer {
    const path = options?.path ?? '/ws';
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: HARD_FRAME_LIMIT,
      perMessageDeflate: false,
      clientTracking: false,
      // MQTT clients offer `mqtt` (3.1.1, 5.0); Herald's and Pusher's clients offer none.
      handleProtocols: (offered) => (offered.has(MQTT_SUBPROTOCOL) ? MQTT_SUBPROTOCOL : false),
    });
    this.httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // A module-level listener: a closure here would share this handler's scope and keep the upgrade
      // request (headers, URL) and its head buffer alive for the connection's whole life.
      socket.on('error', destroyOnError);
      const url = new URL(req.url ?? '/', 'http://gateway');
      if (url.pathname === MQTT_PATH && this.mqtt) {
        // Credentials come in MQTT's CONNECT, checked by the MQTT connection like over TCP.
        const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
        wss.handleUpgrade(req, socket, head, (ws) => this.mqtt!.accept(createWebSocketStream(ws), origin));
        return;
      }
      const pusherKey = this.pusher ? PUSHER_PATH.exec(url.pathname)?.[1] : undefined;
      if ((url.pathname !== path && pusherKey === undefined) || !this.enabled) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
      // The same connect check for both protocols: Pusher's key is in the path instead of `appkey`.
      const params = pusherKey === undefined ? url.searchParams : new URLSearchParams({ appkey: decodeSegment(pusherKey) });
      if (pusherKey !== undefined && url.searchParams.get('protocol') !== PUSHER_PROTOCOL) {
        wss.handleUpgrade(req, socket, head, (ws) => this.pusher!.refuse(ws, 'pusher_protocol', `Unsupported protocol version: serving ${PUSHER_PROTOCOL}`));
        return;
      }
      this.auth
        .authenticate(params, origin)
        .then((connect) => this.auth.admit(connect))
        .then(
        (connect) => {
          // The 101 response and the `connected` frame (written on connection, in this turn) in one write.
          corkForTurn(socket);
          if (pusherKey !== undefined) {
            wss.handleUpgrade(req, socket, head, (ws) => this.pusher!.accept(ws, connect));
            return;
          }
          handshakes.set(req, connect);
          wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
        },
        (e: unknown) => {
          // Mapped as HTTP errors are: a refusal keeps its reason; Postgres or Redis out of reach is 4503
          // unavailable (clients retry); anything else is a fault, logged and closed 1011 internal_error.
          const { body, unexpected } = mapError(e);
          this.sink.metrics.error(body.reason);
          if (unexpected) this.sink.logger.error({ err: e, path: url.pathname }, 'unhandled error in a WebSocket upgrade');
          if (pusherKey !== undefined) wss.handleUpgrade(req, socket, head, (ws) => this.pusher!.refuse(ws, body.reason, body.content));
          else wss.handleUpgrade(req, socket, head, (ws) => ws.close(closeCodeFor(body.reason), closeReason(`${body.reason}: ${body.content}`)));
        },
      );
    });
    return wss;
  }

  bindClientConnect(server: WebSocketServer, callback: (...args: unknown[]) => void): void {
    server.on('connection', callback);
  }

  bindClientDisconnect(): void {
    // WsGateway listens for 'close' itself (one shared listener) and has no handleDisconnect: Nest's
    // per-connection closure here would only feed a subject nobody reads, and live as long as the socket.
  }

  closeClient(client: WebSocket): void {
    client.close(CLOSE_CODES.unavailable, 'unavailable: gateway starting');
  }

  bindMessageHandlers(): void {
    // Frames go to the SessionCore directly (see WsGateway); there are no @SubscribeMessage handlers.
  }

  close(server: WebSocketServer): void {
    server.close();
  }

  dispose(): void {
    // Nothing of ours to release: the HTTP server (and its upgrade listener) closes with the app.
  }
}
