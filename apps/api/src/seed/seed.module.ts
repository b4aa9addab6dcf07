import { Module } from '@nestjs/common';
import { ConfigModule } from '@herald/config';
import { DbModule } from '@herald/db';
import { KeyMaterial } from '../keys/key-material.js';

/** Just what seeding needs: no HTTP, no Redis. */
@Module({ imports: [ConfigModule, DbModule], providers: [KeyMaterial] })
export class SeedModule {}
