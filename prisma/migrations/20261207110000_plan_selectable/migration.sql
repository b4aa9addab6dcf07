-- Plans a customer may pick for an app (issue 13: a customer created apps on the unlimited demo plan).
-- Every other plan (demo, custom ones) is assigned by an operator through the admin routes.
ALTER TABLE "Plan" ADD COLUMN "selectable" BOOLEAN NOT NULL DEFAULT false;
UPDATE "Plan" SET "selectable" = true WHERE "id" IN ('free', 'pro');
