import 'reflect-metadata';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { CONFIG, announceListening, exitWithSupervisor, createLogger, type HeraldConfig } from '@herald/config';
import { HARD_FRAME_LIMIT } from '@herald/protocol';
import { GatewayMetrics, closeSlowHandshakes } from '@herald/observability';
import { HttpExceptionFilter, requestLog, serveBeforeFramework, verifyJsonBody } from '@herald/http';
import { GatewayModule } from './gateway.module.js';
import { HeraldWsAdapter } from './ws/herald-ws.adapter.js';
import { ConnectAuth } from './connect/connect-auth.js';
import { KeyResolver } from '@herald/db';
import { PollRoute } from './poll/poll.route.js';
import { SseRoute } from './sse/sse.route.js';
import { PusherConnections } from './pusher/pusher-connections.js';
import { MqttConnections } from './mqtt/mqtt-connections.js';

/** Pending connections the kernel may queue before the gateway accepts them (Node's default: 511). */
const LISTEN_BACKLOG = 65_535;

async function bootstrap(): Promise<void> {
  exitWithSupervisor();
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule, { logger: ['error', 'warn'] });
  const config = app.get<HeraldConfig>(CONFIG);
  const server = app.getHttpServer() as Server;
  const logger = createLogger(config, 'gateway');
  closeSlowHandshakes(server, config.headersTimeoutMs);
  server.requestTimeout = 30_000;
  const sink = { logger, metrics: app.get(GatewayMetrics) };
  app.useWebSocketAdapter(new HeraldWsAdapter(server, app.get(ConnectAuth), config.transports.has('ws'), sink, app.get(PusherConnections), app.get(MqttConnections)));
  app.use(requestLog(logger));
  app.useBodyParser('json', { limit: HARD_FRAME_LIMIT, verify: verifyJsonBody });
  app.useGlobalFilters(new HttpExceptionFilter(sink));
  app.enableShutdownHooks();
  serveBeforeFramework(server, app.getHttpAdapter().getInstance(), [app.get(PollRoute), app.get(SseRoute)]);
  // Not fatal: a database still starting only means the first connections pay for the warm-up.
  await app.get(KeyResolver).warm().catch((e: Error) => logger.warn({ err: e.message }, 'key lookup warm-up failed'));
  // A reconnect storm (a gateway died; its clients all come here within a second) arrives faster than
  // the handshakes are served: with Node's default accept backlog (511) the kernel drops the SYNs beyond
  // it and those clients wait for TCP's retransmits (1 s, 3 s, 7 s, 15 s …). The kernel caps the value at
  // net.core.somaxconn. Nest's Express adapter hands every argument after the port to
  // http.Server#listen(port, host, backlog); its typing only names a callback there.
  await app.listen(config.gatewayPort, config.host, LISTEN_BACKLOG as unknown as () => void);
  announceListening(server, 'gateway', logger, config.gatewayPort);
}

void bootstrap().catch((e) => {
  console.error(e);
  process.exit(1);
});
