import 'reflect-metadata';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { HARD_FRAME_LIMIT } from '@herald/protocol';
import { closeSlowHandshakes } from '@herald/observability';
import { GatewayModule } from './gateway.module.js';
import { HeraldWsAdapter } from './ws/herald-ws.adapter.js';
import { ConnectAuth } from './connect/connect-auth.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule, { logger: ['error', 'warn'] });
  const config = app.get<HeraldConfig>(CONFIG);
  const server = app.getHttpServer() as Server;
  closeSlowHandshakes(server, config.headersTimeoutMs);
  server.requestTimeout = 30_000;
  app.useWebSocketAdapter(new HeraldWsAdapter(server, app.get(ConnectAuth), config.transports.has('ws')));
  app.useBodyParser('json', { limit: HARD_FRAME_LIMIT });
  app.enableShutdownHooks();
  await app.listen(config.gatewayPort, config.host);
  createLogger(config, 'gateway').info({ port: config.gatewayPort }, 'gateway ready');
}

void bootstrap().catch((e) => {
  console.error(e);
  process.exit(1);
});
