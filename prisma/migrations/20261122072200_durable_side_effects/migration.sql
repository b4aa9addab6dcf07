-- Durable side effects (issue 6): webhooks with a delivery log, scheduled publishes, usage roll-ups,
-- per-plan schedule horizon and archive retention.

-- AlterTable
ALTER TABLE "Plan" ADD COLUMN "maxScheduleDelaySeconds" INTEGER NOT NULL DEFAULT 604800,
ADD COLUMN "archiveRetentionDays" INTEGER NOT NULL DEFAULT 30;

UPDATE "Plan" SET "maxScheduleDelaySeconds" = 86400, "archiveRetentionDays" = 7 WHERE "id" = 'free';
UPDATE "Plan" SET "maxScheduleDelaySeconds" = 2592000, "archiveRetentionDays" = 90 WHERE "id" = 'pro';
UPDATE "Plan" SET "maxScheduleDelaySeconds" = 2592000, "archiveRetentionDays" = 30 WHERE "id" = 'demo';

-- CreateEnum
CREATE TYPE "WebhookDeliveryStatus" AS ENUM ('pending', 'delivered', 'failed');

-- CreateEnum
CREATE TYPE "ScheduledStatus" AS ENUM ('scheduled', 'publishing', 'published', 'cancelled', 'failed');

-- CreateTable
CREATE TABLE "Webhook" (
    "id" TEXT NOT NULL,
    "appId" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "events" TEXT[],
    "secretCipher" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Webhook_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" TEXT NOT NULL,
    "appId" TEXT NOT NULL,
    "webhookId" TEXT NOT NULL,
    "eventIds" TEXT[],
    "eventTypes" TEXT[],
    "body" TEXT NOT NULL,
    "status" "WebhookDeliveryStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "replays" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastAttemptAt" TIMESTAMP(3),

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookAttempt" (
    "id" BIGSERIAL NOT NULL,
    "deliveryId" TEXT NOT NULL,
    "appId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "ok" BOOLEAN NOT NULL,
    "statusCode" INTEGER,
    "latencyMs" INTEGER NOT NULL,
    "error" TEXT,

    CONSTRAINT "WebhookAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ScheduledMessage" (
    "appId" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "status" "ScheduledStatus" NOT NULL DEFAULT 'scheduled',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "publishedAt" TIMESTAMP(3),
    "offset" BIGINT,
    "epoch" TEXT,
    "error" TEXT,

    CONSTRAINT "ScheduledMessage_pkey" PRIMARY KEY ("appId","id")
);

-- CreateTable
CREATE TABLE "UsageMinute" (
    "appId" TEXT NOT NULL,
    "minute" TIMESTAMP(3) NOT NULL,
    "publishes" INTEGER NOT NULL DEFAULT 0,
    "deliveries" INTEGER NOT NULL DEFAULT 0,
    "webhookAttempts" INTEGER NOT NULL DEFAULT 0,
    "peakConnections" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "UsageMinute_pkey" PRIMARY KEY ("appId","minute")
);

-- CreateTable
CREATE TABLE "UsageDay" (
    "appId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "publishes" BIGINT NOT NULL DEFAULT 0,
    "deliveries" BIGINT NOT NULL DEFAULT 0,
    "webhookAttempts" BIGINT NOT NULL DEFAULT 0,
    "peakConnections" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "UsageDay_pkey" PRIMARY KEY ("appId","day")
);

-- CreateIndex
CREATE INDEX "Webhook_appId_idx" ON "Webhook"("appId");

-- CreateIndex
CREATE INDEX "WebhookDelivery_webhookId_createdAt_idx" ON "WebhookDelivery"("webhookId", "createdAt");

-- CreateIndex
CREATE INDEX "WebhookDelivery_appId_status_createdAt_idx" ON "WebhookDelivery"("appId", "status", "createdAt");

-- CreateIndex
CREATE INDEX "WebhookAttempt_deliveryId_at_idx" ON "WebhookAttempt"("deliveryId", "at");

-- CreateIndex
CREATE INDEX "ScheduledMessage_appId_status_at_idx" ON "ScheduledMessage"("appId", "status", "at");

-- CreateIndex
CREATE INDEX "ScheduledMessage_status_at_idx" ON "ScheduledMessage"("status", "at");

-- AddForeignKey
ALTER TABLE "Webhook" ADD CONSTRAINT "Webhook_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_webhookId_fkey" FOREIGN KEY ("webhookId") REFERENCES "Webhook"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookAttempt" ADD CONSTRAINT "WebhookAttempt_deliveryId_fkey" FOREIGN KEY ("deliveryId") REFERENCES "WebhookDelivery"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ScheduledMessage" ADD CONSTRAINT "ScheduledMessage_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UsageMinute" ADD CONSTRAINT "UsageMinute_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UsageDay" ADD CONSTRAINT "UsageDay_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;
