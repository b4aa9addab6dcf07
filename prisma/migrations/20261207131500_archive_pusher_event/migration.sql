-- A Pusher trigger's event name (issue 15): history read from the archive, beyond the Redis window,
-- hands it back like the window does. NULL for Herald publishes.
ALTER TABLE "ArchivedMessage" ADD COLUMN "event" TEXT;
