import { Module } from '@nestjs/common';
import { ConfigModule } from '@herald/config';
import { DbModule } from '@herald/db';
import { BusModule } from '@herald/bus';
import { PublishProcessor } from './publish/publish.processor.js';
import { PendingSweeper } from './publish/pending-sweeper.js';
import { ArchiveConsumer } from './archive/archive.consumer.js';
import { HealthController } from './health/health.controller.js';

@Module({
  imports: [ConfigModule, DbModule, BusModule],
  controllers: [HealthController],
  providers: [PublishProcessor, PendingSweeper, ArchiveConsumer],
})
export class WorkerModule {}
