/**
 * Herald's service-worker helper, served by the gateway at `/sdk/herald-sw.js` (a classic script, so
 * `importScripts` takes it). It shows a notification for every push, focuses or opens the push's URL on
 * click, and re-registers a subscription the browser replaced. `self.HeraldSW` exposes the same
 * handlers for a worker that routes events itself: set `self.HeraldSWOptions = { listen: false }`
 * before importScripts and call `HeraldSW.showPush(event)` etc.
 */
import { chooseClient, clickTarget, notificationOf, type Fallback, type HeraldNotificationData } from './notification.js';
import { resubscribe, type ResubscribeResult, type SubscriptionChange } from './resubscribe.js';

declare const self: ServiceWorkerGlobalScope & {
  HeraldSW: typeof HeraldSW;
  HeraldSWOptions?: { listen?: boolean; fallback?: Partial<Fallback> };
};

const fallback: Fallback = { title: 'New notification', body: '', ...self.HeraldSWOptions?.fallback };

function showPush(event: PushEvent): Promise<void> {
  let text: string | null = null;
  try {
    text = event.data ? event.data.text() : null;
  } catch {
    // unreadable: the fallback notification
  }
  return showText(text);
}

function showText(text: string | null): Promise<void> {
  const shown = notificationOf(text, HeraldSW.fallback);
  return self.registration.showNotification(shown.title, shown.options);
}

/** Focuses the window already showing the notification's URL, or opens it. */
async function openTarget(data: HeraldNotificationData | undefined): Promise<WindowClient | null> {
  const scope = self.registration.scope;
  const target = clickTarget(data, scope);
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = chooseClient(windows, target, scope);
  return open ? open.focus() : self.clients.openWindow(target);
}

function onClick(event: NotificationEvent): Promise<WindowClient | null> {
  event.notification.close();
  return openTarget(event.notification.data as HeraldNotificationData | undefined);
}

function onSubscriptionChange(change: SubscriptionChange): Promise<ResubscribeResult> {
  return resubscribe(self.registration, change);
}

const HeraldSW = { fallback, showPush, showText, onClick, openTarget, chooseClient, clickTarget, notificationOf, onSubscriptionChange };
self.HeraldSW = HeraldSW;

if (self.HeraldSWOptions?.listen !== false) {
  self.addEventListener('push', (event) => event.waitUntil(showPush(event)));
  self.addEventListener('notificationclick', (event) => event.waitUntil(onClick(event)));
  self.addEventListener('pushsubscriptionchange', (event) => {
    const change = event as unknown as ExtendableEvent & SubscriptionChange;
    change.waitUntil(onSubscriptionChange(change));
  });
}
