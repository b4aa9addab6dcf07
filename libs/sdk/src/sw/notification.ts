/**
 * What a push turns into, and where a click goes: plain functions of the payload, kept apart from the
 * worker's events so every rule reads in one place (and tests can call them inside a real worker).
 */

/** The payload a publish with `push` sends (docs/push.md): every field optional to this reader. */
export interface PushPayload {
  title?: unknown;
  body?: unknown;
  icon?: unknown;
  url?: unknown;
  data?: unknown;
  channel?: unknown;
  id?: unknown;
  topic?: unknown;
}

/** Kept on the notification for the click: `notification.data`. */
export interface HeraldNotificationData {
  herald: true;
  url?: string;
  data?: unknown;
  channel?: string;
  id?: string;
}

/** Shown when a push carries no readable Herald payload (empty, not JSON, no title). */
export interface Fallback {
  title: string;
  body?: string;
  icon?: string;
}

export interface Shown {
  title: string;
  options: NotificationOptions & { data: HeraldNotificationData };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function parse(text: string | null): PushPayload | undefined {
  if (!text) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as PushPayload) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The notification for a push's text. Never throws: the browser demands a notification for every push
 * (`userVisibleOnly`), so anything unreadable shows the fallback. `tag` (the topic, else the message
 * id) makes a push delivered twice replace its first notification instead of adding a second.
 */
export function notificationOf(text: string | null, fallback: Fallback): Shown {
  const p = parse(text);
  const title = str(p?.title);
  if (!p || !title) return { title: fallback.title, options: { body: fallback.body, icon: fallback.icon, data: { herald: true } } };
  const data: HeraldNotificationData = { herald: true, url: str(p.url), data: p.data, channel: str(p.channel), id: str(p.id) };
  return { title, options: { body: str(p.body), icon: str(p.icon), tag: str(p.topic) ?? data.id, data } };
}

/** Where a click goes: the payload's URL (relative to the worker's scope, http(s) only), else the scope. */
export function clickTarget(data: unknown, scope: string): string {
  const url = str((data as HeraldNotificationData | null)?.url);
  if (url) {
    try {
      const u = new URL(url, scope);
      if (u.protocol === 'https:' || u.protocol === 'http:') return u.href;
    } catch {
      // not a URL: the scope
    }
  }
  return scope;
}

const withoutHash = (url: string) => url.split('#')[0];

/**
 * The open window to focus for `target`: one showing exactly that URL, else the same URL with another
 * fragment. With no URL in the payload (target = scope), any window of the scope.
 */
export function chooseClient<C extends { url: string }>(clients: readonly C[], target: string, scope: string): C | undefined {
  return (
    clients.find((c) => c.url === target) ??
    clients.find((c) => withoutHash(c.url) === withoutHash(target)) ??
    (target === scope ? clients.find((c) => c.url.startsWith(scope)) : undefined)
  );
}
