import type { IncomingMessage } from 'node:http';
import { OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { Inject } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { CLOSE_CODES } from '@herald/protocol';
import { SessionCore } from '../session/session-core.js';
import type { Session } from '../session/session.js';
import { WsTransport } from './ws-transport.js';
import { handshakes } from './herald-ws.adapter.js';

/** Bytes a WebSocket may have queued before its reader counts as too slow (then closed with 4502). */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** The session of a socket, on the socket itself: the listeners below are shared, not closures per connection. */
const SESSION = Symbol('session');
type SessionSocket = WebSocket & { [SESSION]: Session };
const sessionOf = (ws: WebSocket): Session => (ws as SessionSocket)[SESSION];

@WebSocketGateway({ path: '/ws' })
export class WsGateway implements OnGatewayConnection {
  private readonly onMessage: (this: WebSocket, data: Buffer) => void;
  private readonly onPong: (this: WebSocket) => void;
  private readonly onGone: (this: WebSocket) => void;

  constructor(
    private readonly core: SessionCore,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {
    this.onMessage = function (data) {
      core.receive(sessionOf(this), data.toString('utf8'));
    };
    this.onPong = function () {
      core.alive(sessionOf(this));
    };
    this.onGone = function () {
      core.closed(sessionOf(this));
    };
  }

  handleConnection(ws: WebSocket, req: IncomingMessage): void {
    const connect = handshakes.get(req);
    if (!connect) {
      ws.close(CLOSE_CODES.unauthorized, 'unauthorized');
      return;
    }
    const socket = ws as SessionSocket;
    socket[SESSION] = this.core.open(connect, new WsTransport(ws, MAX_BUFFERED_BYTES, this.config.pingIntervalMs));
    socket.on('message', this.onMessage);
    socket.on('pong', this.onPong);
    socket.on('close', this.onGone);
    socket.on('error', this.onGone);
  }
}
