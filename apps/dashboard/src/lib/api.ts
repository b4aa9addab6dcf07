// The dashboard talks only to the management API (same origin) with the session token from /v1/sessions.
const TOKEN_KEY = 'herald.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly reason: string,
    readonly content: string,
  ) {
    super(content);
  }
}

export const session = {
  get token(): string | null {
    return localStorage.getItem(TOKEN_KEY);
  },
  set(token: string): void {
    localStorage.setItem(TOKEN_KEY, token);
  },
  clear(): void {
    localStorage.removeItem(TOKEN_KEY);
  },
};

/** Fired when the API answers 401 to a request made with the session token: the app goes to /login. */
export const UNAUTHORIZED_EVENT = 'herald:unauthorized';

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const qs = opts.query
    ? Object.entries(opts.query)
        .filter(([, v]) => v !== undefined && v !== '')
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
        .join('&')
    : '';
  let res: Response;
  try {
    res = await fetch(qs ? `${path}?${qs}` : path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 0, 'network_error', 'The API could not be reached. Check that Herald is running.');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const b = (body ?? {}) as { code?: number; content?: string; reason?: string; message?: string };
    if (res.status === 401 && session.token) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
    throw new ApiError(res.status, b.code ?? res.status, b.reason ?? 'error', b.content ?? b.message ?? (text.slice(0, 200) || res.statusText || `HTTP ${res.status}`));
  }
  return body as T;
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, { ...opts, body: body ?? {} }),
  patch: <T>(path: string, body: unknown, opts?: RequestOptions) => request<T>('PATCH', path, { ...opts, body }),
  del: <T = void>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, opts),
};

export const appPath = (appId: string, rest = '') => `/v1/apps/${encodeURIComponent(appId)}${rest}`;

// ---- Shapes (docs/api.md, OpenAPI at /docs) ----

export type Role = 'customer' | 'admin';
export interface Me {
  id: string;
  email: string;
  role: Role;
}
export interface SessionView {
  account: Me;
  token: string;
}
export interface Plan {
  id: string;
  maxConnections: number;
  maxMessagesPerDay: number | null;
  maxPublishesPerSecond: number;
  maxPayloadBytes: number;
  historySize: number;
  historyTtlSeconds: number;
  maxChannelsPerConnection: number;
  anyOrigin: boolean;
  maxScheduleDelaySeconds: number;
  archiveRetentionDays: number;
  /** Scheduled messages of an app waiting for their time. */
  maxScheduledPending: number;
  maxWebhooks: number;
  /** A customer may pick it (GET /v1/plans lists only these; GET /v1/admin/plans lists all). */
  selectable?: boolean;
  name?: string;
  [k: string]: unknown;
}
export interface App {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  plan: Plan;
  history: { size: number; ttlSeconds: number };
  allowedOrigins: string[];
  privatePrefixes?: string[];
  region?: string;
  suspendedReason?: string | null;
  createdAt: string;
}
export interface CreatedApp extends App {
  keys: { common: string; subscribe: string; secret: string };
}
export type KeyKind = 'common' | 'subscribe' | 'secret';
export interface Key {
  id: string;
  kind: KeyKind;
  status: 'active' | 'retiring' | 'revoked';
  value: string | null;
  masked?: string;
  createdAt: string;
  retiresAt: string | null;
  revokedAt: string | null;
}
export interface RotatedKey {
  key: Key;
  previous: { count: number; retiresAt: string | null };
}
export interface Webhook {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  createdAt: string;
  secret?: string;
}
export interface Delivery {
  id: string;
  webhookId: string;
  eventIds: string[];
  eventTypes: string[];
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  replays: number;
  createdAt: string;
  lastAttemptAt: string | null;
  body: unknown;
  attemptLog: Array<{ at: string; ok: boolean; statusCode: number | null; latencyMs: number; error: string | null }>;
}
export interface Scheduled {
  id: string;
  channel: string;
  at: string;
  status: 'scheduled' | 'publishing' | 'published' | 'cancelled' | 'failed';
  message: unknown;
  offset?: number | null;
  publishedAt?: string | null;
  error?: string | null;
}
export interface Usage {
  connections: number;
  maxConnections: number;
  publishesThisSecond: number;
  maxPublishesPerSecond: number;
  messagesToday: number;
  maxMessagesPerDay: number | null;
}
export interface UsagePeriod {
  period: string;
  publishes: number;
  deliveries: number;
  webhookAttempts: number;
  peakConnections: number;
}
export interface UsageHistory {
  granularity: 'day' | 'minute';
  periods: UsagePeriod[];
  total: UsagePeriod;
}
export interface LiveStats {
  at: string | number;
  connections: number;
  publishesPerSecond: number;
  deliveriesPerSecond: number;
}
export interface ChannelRow {
  channel: string;
  subscribers: number;
  presenceMembers: number;
}
export interface HistoryMessage {
  id: string;
  channel?: string;
  offset: number;
  time?: number | string;
  content?: unknown;
  message?: unknown;
  [k: string]: unknown;
}
export interface PresenceMember {
  id: string;
  data?: unknown;
}
export interface PublicConfig {
  gatewayUrl: string;
  apiUrl: string;
}
