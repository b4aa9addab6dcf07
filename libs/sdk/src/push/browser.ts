import { errors, protocolError, type HeraldError } from '../errors.js';
import type { ServiceWorkerChoice } from './types.js';

/** The page's service-worker container, or push_unsupported (Node, an insecure page, an old browser). */
export function container(): ServiceWorkerContainer {
  const sw = typeof navigator === 'undefined' ? undefined : navigator.serviceWorker;
  if (!sw || typeof PushManager === 'undefined' || typeof Notification === 'undefined') {
    throw protocolError(400, 'push_unsupported', 'This browser cannot receive Web Push here: service workers, PushManager and Notification are needed, in a secure context (https or localhost)');
  }
  return sw;
}

const denied = (detail: string) => protocolError(403, 'push_permission_denied', detail);

/**
 * Asks for notification permission. Call it before any await: browsers show the prompt only while
 * the click that started subscribe() is still being handled.
 */
export function askPermission(): Promise<void> {
  if (Notification.permission === 'granted') return Promise.resolve();
  if (Notification.permission === 'denied') return Promise.reject(denied('Notifications are blocked for this site (the user or a policy denied them)'));
  return Promise.resolve(Notification.requestPermission()).then((p) => {
    if (p !== 'granted') throw denied('The user did not allow notifications');
  });
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A registration with an active worker: given, registered from a script URL, or the page's own. */
export async function registrationFor(sw: ServiceWorkerContainer, choice: ServiceWorkerChoice | undefined): Promise<ServiceWorkerRegistration> {
  let reg: ServiceWorkerRegistration | undefined;
  if (typeof choice === 'string') {
    reg = await sw.register(choice).catch((e: unknown): never => {
      throw errors.invalid(`The service worker ${choice} could not be registered: ${message(e)}`);
    });
  } else {
    reg = choice ?? (await sw.getRegistration());
  }
  if (!reg) throw errors.invalid('No service worker controls this page: pass serviceWorker (a registration, or the URL of a script that imports /sdk/herald-sw.js)');
  return activated(reg);
}

/** pushManager.subscribe needs an active worker; a fresh registration is still installing. */
function activated(reg: ServiceWorkerRegistration): Promise<ServiceWorkerRegistration> {
  const worker = reg.installing ?? reg.waiting;
  if (reg.active || !worker) return Promise.resolve(reg);
  return new Promise((resolve, reject) => {
    worker.addEventListener('statechange', () => {
      if (worker.state === 'activated') resolve(reg);
      else if (worker.state === 'redundant') reject(errors.invalid('The service worker failed to install'));
    });
  });
}

/** The registration to unsubscribe: never registers one. */
export async function existingRegistration(sw: ServiceWorkerContainer, choice: ServiceWorkerChoice | undefined): Promise<ServiceWorkerRegistration | undefined> {
  if (typeof choice !== 'string') return choice ?? (await sw.getRegistration());
  const script = new URL(choice, location.href).href;
  return (await sw.getRegistrations()).find((r) => (r.active ?? r.waiting ?? r.installing)?.scriptURL === script);
}

function sameKey(a: ArrayBuffer | null, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.length) return false;
  const x = new Uint8Array(a);
  return x.every((v, i) => v === b[i]);
}

/** The browser's subscription for `key`: the existing one when it was made with the same key. */
export async function browserSubscription(reg: ServiceWorkerRegistration, key: Uint8Array<ArrayBuffer>): Promise<PushSubscription> {
  const existing = await reg.pushManager.getSubscription();
  if (existing && sameKey(existing.options.applicationServerKey, key)) return existing;
  // A subscription made with another key (a rotated VAPID key, another app) blocks a new one.
  await existing?.unsubscribe();
  try {
    return await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  } catch (e) {
    throw pushServiceError(e);
  }
}

function pushServiceError(e: unknown): HeraldError {
  if (e instanceof DOMException && e.name === 'NotAllowedError') return denied(`The browser refused the subscription: ${e.message}`);
  return protocolError(503, 'push_service_error', `The browser's push service refused the subscription: ${message(e)}`);
}
