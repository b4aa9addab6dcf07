-- The customer's region label (bookkeeping only: every region runs the same cluster today).
ALTER TABLE "App" ADD COLUMN "region" TEXT NOT NULL DEFAULT 'eu-west';
