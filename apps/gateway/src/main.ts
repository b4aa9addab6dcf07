import 'reflect-metadata';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { CONFIG, createLogger, type HeraldConfig } from '@herald/config';
import { GatewayModule } from './gateway.module.js';
import { HeraldWsAdapter } from './ws/herald-ws.adapter.js';
import { ConnectAuth } from './connect/connect-auth.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(GatewayModule, { logger: ['error', 'warn'] });
  const config = app.get<HeraldConfig>(CONFIG);
  const server = app.getHttpServer() as Server;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  app.useWebSocketAdapter(new HeraldWsAdapter(server, app.get(ConnectAuth)));
  app.enableShutdownHooks();
  await app.listen(config.gatewayPort, config.host);
  createLogger(config, 'gateway').info({ port: config.gatewayPort }, 'gateway ready');
}

void bootstrap().catch((e) => {
  console.error(e);
  process.exit(1);
});
