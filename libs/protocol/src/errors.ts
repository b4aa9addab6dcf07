/**
 * Every error Herald reports, defined once. Each edge maps a reason onto its own form:
 * HTTP status (= code), WebSocket error frame ({ type: 'error', code, content, reason }) or close code
 * (see close-codes.ts), job retry-or-fail in the worker. The SDK reuses the same reasons.
 * Shape everywhere: GoEasy's `{ code, content }` plus a stable `reason`.
 */
export const REASONS = {
  invalid_request: { code: 400, content: 'Invalid request' },
  invalid_json: { code: 400, content: 'Malformed JSON' },
  invalid_frame: { code: 400, content: 'Unknown or malformed frame' },
  invalid_channel: { code: 400, content: 'Invalid channel name' },
  invalid_message_id: { code: 400, content: 'Invalid message id' },
  invalid_message: { code: 400, content: 'Message is required (string or JSON value)' },
  invalid_position: { code: 400, content: 'Invalid offset or epoch' },
  invalid_delay: { code: 400, content: 'Invalid schedule: delay/at must be in the future and within the plan maximum' },
  push_unsupported: { code: 400, content: 'This browser cannot receive Web Push (service workers, PushManager and Notification in a secure context are needed)' },
  invalid_webhook_url: { code: 400, content: 'Webhook URL must be http(s) and reach a public address' },
  webhook_url_private: { code: 400, content: 'Webhook host resolves to a private, loopback, link-local or reserved address' },
  invalid_push_subscription: { code: 400, content: 'Push subscription must have an https endpoint, a 65-byte P-256 p256dh key and a 16-byte auth secret' },
  push_endpoint_private: { code: 400, content: 'Push endpoint must be https and resolve to a public address' },
  invalid_push: { code: 400, content: 'Invalid push options' },
  unauthorized: { code: 401, content: 'Unauthorized' },
  invalid_key: { code: 401, content: 'Unknown app key' },
  key_revoked: { code: 401, content: 'App key revoked' },
  key_expired: { code: 401, content: 'App key retired after rotation' },
  invalid_credentials: { code: 401, content: 'Wrong email or password' },
  invalid_token: { code: 401, content: 'Invalid access token' },
  token_expired: { code: 401, content: 'Access token expired' },
  forbidden: { code: 403, content: 'Forbidden' },
  publish_forbidden: { code: 403, content: 'This key may not publish' },
  origin_not_allowed: { code: 403, content: 'Origin not allowed for this app' },
  token_required: { code: 403, content: 'Private channel: an access token is required' },
  app_suspended: { code: 403, content: 'App suspended' },
  push_permission_denied: { code: 403, content: 'Notification permission was not granted' },
  plan_not_selectable: { code: 403, content: 'This plan is assigned by the operator' },
  push_forbidden: { code: 403, content: 'Only the secret key may publish with push' },
  not_found: { code: 404, content: 'Not found' },
  app_not_found: { code: 404, content: 'App not found' },
  webhook_not_found: { code: 404, content: 'Webhook not found' },
  delivery_not_found: { code: 404, content: 'Webhook delivery not found' },
  scheduled_not_found: { code: 404, content: 'Scheduled message not found' },
  push_subscription_not_found: { code: 404, content: 'Push subscription not found' },
  timeout: { code: 408, content: 'Timed out' },
  email_taken: { code: 409, content: 'Email already registered' },
  already_subscribed: { code: 409, content: 'Already subscribed' },
  not_cancellable: { code: 409, content: 'The scheduled message is already published or cancelled' },
  too_many_webhooks: { code: 409, content: 'Webhook endpoint limit of the plan reached' },
  too_many_scheduled: { code: 409, content: 'Pending scheduled message limit of the plan reached' },
  too_many_push_subscriptions: { code: 409, content: 'Push subscription limit of the plan reached' },
  message_id_conflict: { code: 409, content: 'This message id was already used on another channel of the app' },
  payload_too_large: { code: 413, content: 'Message over the plan payload limit' },
  frame_too_large: { code: 413, content: 'Frame over the hard limit' },
  batch_too_large: { code: 413, content: 'Batch over the item count or size limit' },
  push_payload_too_large: { code: 413, content: 'Push payload over the 4 KB Web Push record' },
  too_many_channels: { code: 429, content: 'Too many channels on this connection' },
  rate_limited: { code: 429, content: 'Rate limit exceeded' },
  quota_exceeded: { code: 429, content: 'Daily message quota of the plan reached' },
  too_many_connections: { code: 429, content: 'Concurrent connection limit of the plan reached' },
  too_many_members: { code: 429, content: 'Presence member limit of the channel reached' },
  internal_error: { code: 500, content: 'Internal error' },
  unavailable: { code: 503, content: 'Service unavailable' },
  not_replicated: { code: 503, content: 'Stored (and possibly delivered) but not yet confirmed by the required Redis replicas: retry with the same id' },
  push_service_error: { code: 503, content: "The browser's push service refused the subscription" },
  server_shutdown: { code: 503, content: 'Server shutting down, reconnect' },
} as const satisfies Record<string, { code: number; content: string }>;

export type Reason = keyof typeof REASONS;

export interface ErrorBody {
  code: number;
  content: string;
  reason: Reason;
}

/** A domain error with a stable reason. `detail` replaces the default text, never the reason. */
export class HeraldError extends Error {
  readonly reason: Reason;
  readonly code: number;
  /** For 429s: seconds until a retry can succeed (HTTP Retry-After). */
  retryAfter?: number;
  constructor(reason: Reason, detail?: string, retryAfter?: number) {
    super(detail ?? REASONS[reason].content);
    this.name = 'HeraldError';
    this.reason = reason;
    this.code = REASONS[reason].code;
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
  }
  toBody(): ErrorBody {
    return { code: this.code, content: this.message, reason: this.reason };
  }
}
