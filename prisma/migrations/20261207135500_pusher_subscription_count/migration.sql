-- Pusher subscription_count events (issue 15), off per app until its owner enables them (as with Pusher).
ALTER TABLE "App" ADD COLUMN "subscriptionCount" BOOLEAN NOT NULL DEFAULT false;
