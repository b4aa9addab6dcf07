-- Pusher client events (issue 15): off per app until its owner enables them, and a per-connection
-- rate per plan (10 a second, as Pusher).
ALTER TABLE "App" ADD COLUMN "clientEvents" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Plan" ADD COLUMN "maxClientEventsPerSecond" INTEGER NOT NULL DEFAULT 10;
