/**
 * What `herald.push.subscribe()` leaves for the service worker, so that a `pushsubscriptionchange`
 * can register the browser's new subscription with Herald while no page is open. Kept in Cache
 * Storage (readable by the pages and the worker of one origin, and smaller to use than IndexedDB),
 * one record per service-worker scope. Only public values: the API URL, the app key (a common or
 * subscribe key, which pages carry anyway), channels, user id and VAPID key; never a token.
 */
export interface PushRecord {
  api: string;
  appkey: string;
  channels: string[];
  userId?: string;
  /** The VAPID public key, unpadded base64url. */
  publicKey: string;
  endpoint: string;
}

const CACHE = 'herald-push';
const keyOf = (scope: string) => new URL('herald-push-record.json', scope).href;

/** Storage errors (no Cache Storage, quota) are not the caller's problem: the record is a convenience. */
export async function saveRecord(scope: string, record: PushRecord): Promise<void> {
  try {
    await (await caches.open(CACHE)).put(keyOf(scope), new Response(JSON.stringify(record)));
  } catch {
    // Without it a pushsubscriptionchange waits for the next page visit to re-register.
  }
}

export async function loadRecord(scope: string): Promise<PushRecord | undefined> {
  try {
    const res = await (await caches.open(CACHE)).match(keyOf(scope));
    return res ? ((await res.json()) as PushRecord) : undefined;
  } catch {
    return undefined;
  }
}

export async function forgetRecord(scope: string): Promise<void> {
  try {
    await (await caches.open(CACHE)).delete(keyOf(scope));
  } catch {
    // nothing stored
  }
}

/** An unpadded base64url VAPID key as the bytes `pushManager.subscribe` takes. */
export function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64url.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
