import type { Callbacks } from '../types.js';

/** A browser push subscription as `PushSubscription.toJSON()` gives it (what Herald stores). */
export interface PushSubscriptionData {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/** Herald's record of a subscription (`POST /v1/push/subscriptions` answer). */
export interface PushRegistration {
  id: string;
  endpoint: string;
  channels: string[];
  userId?: string | null;
}

/**
 * A script URL (same origin as the page) is registered with `navigator.serviceWorker.register`;
 * absent: the registration that controls this page.
 */
export type ServiceWorkerChoice = ServiceWorkerRegistration | string;

export interface PushRegisterOptions extends Callbacks<PushRegistration> {
  /** The channels whose publishes with `push` reach this subscription (replaces earlier ones). */
  channels: string[];
  /** Your user id: `pushMode: 'offline'` skips it while that user is connected on the channel. */
  userId?: string;
  /** An access token (`POST /v1/tokens`) when a channel is private. */
  token?: string;
}

export interface PushSubscribeOptions extends PushRegisterOptions {
  serviceWorker?: ServiceWorkerChoice;
}

export interface PushUnsubscribeOptions extends Callbacks<void> {
  serviceWorker?: ServiceWorkerChoice;
}
