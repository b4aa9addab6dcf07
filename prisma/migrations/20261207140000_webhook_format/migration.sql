-- Issue 15: a webhook endpoint receives Herald's body (default) or Pusher's (`{time_ms, events}`, X-Pusher-* headers).
CREATE TYPE "WebhookFormat" AS ENUM ('herald', 'pusher');
ALTER TABLE "Webhook" ADD COLUMN "format" "WebhookFormat" NOT NULL DEFAULT 'herald';
