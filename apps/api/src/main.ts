import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { CONFIG, announceListening, exitWithSupervisor, type HeraldConfig, type Logger } from '@herald/config';
import { API_CORS, HttpExceptionFilter, requestLog, serveBeforeFramework, verifyJsonBody } from '@herald/http';
import { HARD_FRAME_LIMIT } from '@herald/protocol';
import { GatewayMetrics, closeSlowHandshakes } from '@herald/observability';
import { ApiModule } from './api.module.js';
import { API_LOGGER } from './api-logger.js';
import { createValidationPipe } from './http/validation.pipe.js';
import { setupOpenApi } from './http/openapi.js';
import { PublishIngress } from './publish/publish-ingress.js';
import { PusherApiRoute } from './pusher/pusher-api.route.js';
import { serveDashboard } from './dashboard/serve-dashboard.js';

async function bootstrap(): Promise<void> {
  exitWithSupervisor();
  // Body parsers are registered below with the hard 1 MiB limit instead of Nest's 100 kB default.
  const app = await NestFactory.create<NestExpressApplication>(ApiModule, { logger: ['error', 'warn'], bodyParser: false });
  app.enableShutdownHooks();
  const config = app.get<HeraldConfig>(CONFIG);
  const logger = app.get<Logger>(API_LOGGER);

  app.disable('x-powered-by');
  // ETags are set deliberately where they mean something (history), not hashed over every body.
  app.set('etag', false);
  app.use(requestLog(logger));
  app.useBodyParser('json', { limit: HARD_FRAME_LIMIT, verify: verifyJsonBody });
  app.useBodyParser('urlencoded', { limit: HARD_FRAME_LIMIT, extended: false });
  app.enableCors(API_CORS);
  app.useGlobalFilters(new HttpExceptionFilter({ logger, metrics: app.get(GatewayMetrics) }));
  app.useGlobalPipes(createValidationPipe());
  setupOpenApi(app);
  // The dashboard SPA at `/` (dist/dashboard), never over the API's own paths.
  serveDashboard(app, logger, config.publicGatewayUrl);
  closeSlowHandshakes(app.getHttpServer(), config.headersTimeoutMs);
  serveBeforeFramework(app.getHttpServer(), app.getHttpAdapter().getInstance(), [app.get(PublishIngress), app.get(PusherApiRoute)]);

  await app.listen(config.apiPort, config.host);
  if (config.masterKeyIsDefault) logger.warn('HERALD_MASTER_KEY is not set: app secrets are sealed with the development key');
  announceListening(app.getHttpServer(), 'api', logger, config.apiPort);
}

void bootstrap().catch((e) => {
  console.error(e);
  process.exit(1);
});
