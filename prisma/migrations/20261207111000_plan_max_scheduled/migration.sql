-- Scheduled messages waiting per app, per plan (issue 13: 1,000 × 30 KB were scheduled on a free plan).
ALTER TABLE "Plan" ADD COLUMN "maxScheduledPending" INTEGER NOT NULL DEFAULT 1000;
UPDATE "Plan" SET "maxScheduledPending" = 100 WHERE "id" = 'free';
UPDATE "Plan" SET "maxScheduledPending" = 10000 WHERE "id" IN ('pro', 'demo');
