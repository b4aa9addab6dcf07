-- Issue 18, Web Push: VAPID keys per app (private key sealed like the app secret, older apps get theirs
-- on first use), subscriptions, push messages fanned out by the worker, deliveries, the attempt log and
-- counters, and a per-plan cap on subscriptions.
CREATE TYPE "PushDeliveryStatus" AS ENUM ('pending', 'delivered', 'expired', 'failed', 'dropped');

ALTER TABLE "Plan" ADD COLUMN "maxPushSubscriptions" INTEGER NOT NULL DEFAULT 10000;
UPDATE "Plan" SET "maxPushSubscriptions" = 1000 WHERE "id" = 'free';
UPDATE "Plan" SET "maxPushSubscriptions" = 100000 WHERE "id" IN ('pro', 'demo');

ALTER TABLE "App" ADD COLUMN "vapidPublicKey" TEXT;
ALTER TABLE "App" ADD COLUMN "vapidPrivateCipher" TEXT;

CREATE TABLE "PushSubscription" (
    "id" TEXT NOT NULL,
    "appId" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "p256dh" TEXT NOT NULL,
    "auth" TEXT NOT NULL,
    "channels" TEXT[],
    "userId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PushSubscription_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "PushMessage" (
    "id" TEXT NOT NULL,
    "appId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "ttl" INTEGER NOT NULL,
    "urgency" TEXT NOT NULL,
    "topic" TEXT,
    "mode" TEXT NOT NULL,
    "subscriptionId" TEXT,
    "cursor" TEXT,
    "fannedOut" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PushMessage_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "PushDelivery" (
    "id" TEXT NOT NULL,
    "appId" TEXT NOT NULL,
    "pushMessageId" TEXT NOT NULL,
    "subscriptionId" TEXT NOT NULL,
    "status" "PushDeliveryStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastAttemptAt" TIMESTAMP(3),

    CONSTRAINT "PushDelivery_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "PushAttempt" (
    "id" BIGSERIAL NOT NULL,
    "appId" TEXT NOT NULL,
    "deliveryId" TEXT NOT NULL,
    "subscriptionId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "origin" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "statusCode" INTEGER,
    "outcome" TEXT NOT NULL,
    "latencyMs" INTEGER NOT NULL,
    "error" TEXT,

    CONSTRAINT "PushAttempt_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "PushStats" (
    "appId" TEXT NOT NULL,
    "sent" BIGINT NOT NULL DEFAULT 0,
    "delivered" BIGINT NOT NULL DEFAULT 0,
    "expired" BIGINT NOT NULL DEFAULT 0,
    "failed" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "PushStats_pkey" PRIMARY KEY ("appId")
);

CREATE UNIQUE INDEX "PushSubscription_appId_endpoint_key" ON "PushSubscription"("appId", "endpoint");
CREATE INDEX "PushSubscription_appId_id_idx" ON "PushSubscription"("appId", "id");
CREATE INDEX "PushSubscription_appId_userId_idx" ON "PushSubscription"("appId", "userId");
CREATE INDEX "PushSubscription_channels_idx" ON "PushSubscription" USING GIN ("channels");
CREATE INDEX "PushMessage_appId_createdAt_idx" ON "PushMessage"("appId", "createdAt");
CREATE INDEX "PushDelivery_appId_createdAt_idx" ON "PushDelivery"("appId", "createdAt");
CREATE INDEX "PushDelivery_pushMessageId_idx" ON "PushDelivery"("pushMessageId");
CREATE INDEX "PushAttempt_appId_id_idx" ON "PushAttempt"("appId", "id");

ALTER TABLE "PushSubscription" ADD CONSTRAINT "PushSubscription_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "PushMessage" ADD CONSTRAINT "PushMessage_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "PushDelivery" ADD CONSTRAINT "PushDelivery_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "PushAttempt" ADD CONSTRAINT "PushAttempt_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "PushStats" ADD CONSTRAINT "PushStats_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;
