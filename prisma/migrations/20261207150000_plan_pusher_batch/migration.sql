-- Pusher batch_events per request (issue 15): Pusher's 10, more only where the plan says so.
ALTER TABLE "Plan" ADD COLUMN "maxPusherBatchEvents" INTEGER NOT NULL DEFAULT 10;
