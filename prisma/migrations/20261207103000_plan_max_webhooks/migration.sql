-- Webhook endpoints per app, per plan (issue 13: one tenant's endpoints must not hold every delivery slot).
ALTER TABLE "Plan" ADD COLUMN "maxWebhooks" INTEGER NOT NULL DEFAULT 10;
UPDATE "Plan" SET "maxWebhooks" = 5 WHERE "id" = 'free';
UPDATE "Plan" SET "maxWebhooks" = 20 WHERE "id" IN ('pro', 'demo');
