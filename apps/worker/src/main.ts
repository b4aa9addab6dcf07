import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { CONFIG, announceListening, exitWithSupervisor, createLogger, type HeraldConfig } from '@herald/config';
import { WorkerModule } from './worker.module.js';

async function bootstrap(): Promise<void> {
  exitWithSupervisor();
  const app = await NestFactory.create(WorkerModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  const config = app.get<HeraldConfig>(CONFIG);
  await app.listen(config.workerPort, config.host);
  announceListening(app.getHttpServer(), 'worker', createLogger(config, 'worker'), config.workerPort, { concurrency: config.worker.concurrency });
}

void bootstrap().catch((e) => {
  console.error(e);
  process.exit(1);
});
