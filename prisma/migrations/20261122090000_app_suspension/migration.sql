-- Why and when an admin suspended an app, shown to its owner and to admins.
ALTER TABLE "App" ADD COLUMN "suspendedReason" TEXT;
ALTER TABLE "App" ADD COLUMN "suspendedAt" TIMESTAMP(3);
