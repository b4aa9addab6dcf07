import type { IncomingMessage } from 'node:http';
import { OnGatewayConnection, WebSocketGateway } from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { Inject } from '@nestjs/common';
import { CONFIG, type HeraldConfig } from '@herald/config';
import { CLOSE_CODES } from '@herald/protocol';
import { SessionCore } from '../session/session-core.js';
import { WsTransport } from './ws-transport.js';
import { handshakes } from './herald-ws.adapter.js';

/** Bytes a WebSocket may have queued before its reader counts as too slow (then closed with 4502). */
const MAX_BUFFERED_BYTES = 1024 * 1024;

@WebSocketGateway({ path: '/ws' })
export class WsGateway implements OnGatewayConnection {
  constructor(
    private readonly core: SessionCore,
    @Inject(CONFIG) private readonly config: HeraldConfig,
  ) {}

  handleConnection(ws: WebSocket, req: IncomingMessage): void {
    const connect = handshakes.get(req);
    if (!connect) {
      ws.close(CLOSE_CODES.unauthorized, 'unauthorized');
      return;
    }
    const session = this.core.open(connect, new WsTransport(ws, MAX_BUFFERED_BYTES, this.config.pingIntervalMs));
    ws.on('message', (data: Buffer) => this.core.receive(session, data.toString('utf8')));
    ws.on('pong', () => this.core.alive(session));
    ws.on('close', () => this.core.closed(session));
    ws.on('error', () => this.core.closed(session));
  }
}
