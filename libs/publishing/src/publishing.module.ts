import { Module } from '@nestjs/common';
import { PublishService } from './publish.service.js';
import { ScheduledPublishService } from './scheduled-publish.service.js';

@Module({ providers: [PublishService, ScheduledPublishService], exports: [PublishService, ScheduledPublishService] })
export class PublishingModule {}
