-- CreateEnum
CREATE TYPE "AccountRole" AS ENUM ('customer', 'admin');

-- CreateEnum
CREATE TYPE "AppStatus" AS ENUM ('active', 'suspended');

-- CreateEnum
CREATE TYPE "KeyKind" AS ENUM ('common', 'subscribe', 'secret');

-- CreateEnum
CREATE TYPE "KeyStatus" AS ENUM ('active', 'retiring', 'revoked');

-- CreateTable
CREATE TABLE "Plan" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "maxConnections" INTEGER NOT NULL,
    "maxMessagesPerDay" BIGINT,
    "maxPublishesPerSecond" INTEGER NOT NULL,
    "maxPayloadBytes" INTEGER NOT NULL,
    "historySize" INTEGER NOT NULL,
    "historyTtlSeconds" INTEGER NOT NULL,
    "maxChannelsPerConnection" INTEGER NOT NULL,
    "anyOrigin" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "Plan_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Account" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "role" "AccountRole" NOT NULL DEFAULT 'customer',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AccountSession" (
    "id" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "tokenDigest" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AccountSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "App" (
    "id" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "planId" TEXT NOT NULL,
    "status" "AppStatus" NOT NULL DEFAULT 'active',
    "allowedOrigins" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "historySize" INTEGER,
    "historyTtlSeconds" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "App_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AppKey" (
    "id" TEXT NOT NULL,
    "appId" TEXT NOT NULL,
    "kind" "KeyKind" NOT NULL,
    "digest" TEXT NOT NULL,
    "value" TEXT,
    "secretCipher" TEXT,
    "status" "KeyStatus" NOT NULL DEFAULT 'active',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "AppKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ArchivedMessage" (
    "appId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "epoch" TEXT NOT NULL,
    "offset" BIGINT NOT NULL,
    "messageId" TEXT NOT NULL,
    "content" JSONB NOT NULL,
    "publishedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ArchivedMessage_pkey" PRIMARY KEY ("appId","channel","epoch","offset")
);

-- CreateIndex
CREATE UNIQUE INDEX "Account_email_key" ON "Account"("email");

-- CreateIndex
CREATE UNIQUE INDEX "AccountSession_tokenDigest_key" ON "AccountSession"("tokenDigest");

-- CreateIndex
CREATE INDEX "AccountSession_accountId_idx" ON "AccountSession"("accountId");

-- CreateIndex
CREATE INDEX "App_accountId_idx" ON "App"("accountId");

-- CreateIndex
CREATE UNIQUE INDEX "AppKey_digest_key" ON "AppKey"("digest");

-- CreateIndex
CREATE INDEX "AppKey_appId_kind_idx" ON "AppKey"("appId", "kind");

-- CreateIndex
CREATE INDEX "ArchivedMessage_appId_channel_publishedAt_idx" ON "ArchivedMessage"("appId", "channel", "publishedAt");

-- AddForeignKey
ALTER TABLE "AccountSession" ADD CONSTRAINT "AccountSession_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "App" ADD CONSTRAINT "App_accountId_fkey" FOREIGN KEY ("accountId") REFERENCES "Account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "App" ADD CONSTRAINT "App_planId_fkey" FOREIGN KEY ("planId") REFERENCES "Plan"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AppKey" ADD CONSTRAINT "AppKey_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ArchivedMessage" ADD CONSTRAINT "ArchivedMessage_appId_fkey" FOREIGN KEY ("appId") REFERENCES "App"("id") ON DELETE CASCADE ON UPDATE CASCADE;
