import { Module } from '@nestjs/common';
import { PublishService } from './publish.service.js';

@Module({ providers: [PublishService], exports: [PublishService] })
export class PublishingModule {}
