-- Default plans (DESIGN section 10). Operators change limits with UPDATE, apps reference plans by id.
INSERT INTO "Plan" ("id", "name", "maxConnections", "maxMessagesPerDay", "maxPublishesPerSecond", "maxPayloadBytes", "historySize", "historyTtlSeconds", "maxChannelsPerConnection", "anyOrigin") VALUES
  ('free', 'Free', 100, 200000, 20, 32768, 100, 86400, 100, false),
  ('pro', 'Pro', 10000, 20000000, 1000, 65536, 1000, 259200, 500, false),
  ('demo', 'Demo', 10000, NULL, 5000, 65536, 1000, 259200, 500, true)
ON CONFLICT ("id") DO NOTHING;
