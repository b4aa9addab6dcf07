-- Apps choose which channel prefixes are private (need an access token), private- by default.
ALTER TABLE "App" ADD COLUMN "privatePrefixes" TEXT[] DEFAULT ARRAY['private-']::TEXT[];
