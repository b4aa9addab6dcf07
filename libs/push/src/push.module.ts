import { Module } from '@nestjs/common';
import { PushKeys } from './vapid-keys.js';
import { PushSubscriptions } from './push-subscriptions.service.js';
import { PushOwner } from './push-owner.service.js';
import { PushDispatcher } from './push-dispatcher.js';
import { PushFanout } from './push-fanout.js';

const providers = [PushKeys, PushSubscriptions, PushOwner, PushDispatcher, PushFanout];

/** Web Push use cases: keys and subscriptions (API), owner views and tests (API), dispatch and fan-out (worker). */
@Module({ providers, exports: providers })
export class PushModule {}
