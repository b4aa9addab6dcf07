import type { components } from './api-schema.gen';

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
  /** `B` names the request DTO (a type below), so a body the server no longer accepts fails the type-check. */
  post: <T, B extends object = Record<string, never>>(path: string, body?: B, opts?: RequestOptions) => request<T>('POST', path, { ...opts, body: body ?? {} }),
  patch: <T, B extends object = Record<string, never>>(path: string, body: B, opts?: RequestOptions) => request<T>('PATCH', path, { ...opts, body }),
  del: <T = void>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, opts),
};

export const appPath = (appId: string, rest = '') => `/v1/apps/${encodeURIComponent(appId)}${rest}`;

// ---- Shapes: generated from the API's OpenAPI document at build time (scripts/dashboard-api-types.mjs) ----
// A server DTO change that breaks a page fails `npm run build`. Only the names below are written by hand.

type Schemas = components['schemas'];
export type Me = Schemas['AccountView'];
export type Role = Me['role'];
export type SessionView = Schemas['SessionView'];
export type Plan = Schemas['PlanView'];
export type App = Schemas['AppView'];
export type CreatedApp = Schemas['CreatedAppView'];
export type Key = Schemas['KeyView'];
export type KeyKind = Key['kind'];
export type RotatedKey = Schemas['RotatedKeyView'];
export type Webhook = Schemas['WebhookView'];
export type CreatedWebhook = Schemas['CreatedWebhookView'];
export type WebhookEvent = Webhook['events'][number];
export type Delivery = Schemas['DeliveryView'];
export type Scheduled = Schemas['ScheduledView'];
export type Usage = Schemas['UsageView'];
export type UsagePeriod = Schemas['UsagePeriodView'];
export type UsageHistory = Schemas['UsageHistoryView'];
export type LiveStats = Schemas['LiveStatsView'];
export type ChannelRow = Schemas['ChannelOccupancyView'];
export type Channels = Schemas['ChannelsView'];
export type HistoryMessage = Schemas['HistoryMessageView'];
export type History = Schemas['HistoryView'];
export type PresenceMember = Schemas['PresenceMemberView'];
export type Presence = Schemas['PresenceView'];
export type PublicConfig = Schemas['PublicConfigView'];
export type AdminAccount = Schemas['AdminAccountView'];
export type AdminApp = Schemas['AdminAppView'];
export type RevealedSecret = Schemas['RevealedSecretView'];
export type Replay = Schemas['ReplayView'];
export type PushOverview = Schemas['PushOverviewView'];
export type PushSubscriptions = Schemas['PushSubscriptionPageView'];
export type PushSubscriptionRow = Schemas['OwnerPushSubscriptionView'];
export type PushAttempts = Schemas['PushAttemptPageView'];
export type PushAttempt = Schemas['PushAttemptView'];
export type TestPushSent = Schemas['TestPushView'];
// Request bodies.
export type Signup = Schemas['SignupDto'];
export type Login = Schemas['LoginDto'];
export type CreateApp = Schemas['CreateAppDto'];
export type UpdateApp = Schemas['UpdateAppDto'];
export type Rotate = Schemas['RotateDto'];
export type CreateWebhook = Schemas['CreateWebhookDto'];
export type UpdateWebhook = Schemas['UpdateWebhookDto'];
export type Publish = Schemas['PublishDto'];
export type SuspendApp = Schemas['SuspendAppDto'];
export type ChangePlan = Schemas['ChangePlanDto'];
export type TestPush = Schemas['TestPushDto'];
