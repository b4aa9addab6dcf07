import { ReplyError } from 'ioredis';
import { HeraldError } from '@herald/protocol';

// How an accept that did not complete is answered (ChannelLog): 503 with Retry-After, the retry with the
// same id being safe.

/** Seconds a publisher should wait before retrying a 503 of the accept path (Retry-After). */
const RETRY_AFTER_S = 1;

/**
 * The message was stored and published but cannot be acknowledged yet: the publish fails (503, Retry-After)
 * and keeps its charge; a retry with the same id completes it.
 */
export class StoredUnacknowledged extends HeraldError {}

/** Its archive feed entry could not be written: a retry with the same id feeds it (ACCEPT returns a duplicate's frame). */
export class ArchiveFeedFailed extends StoredUnacknowledged {
  constructor(cause: string) {
    super('unavailable', `Stored, but not yet handed to the archive (${cause}): retry with the same id`, RETRY_AFTER_S);
  }
}

/** HERALD_REDIS_WAIT_REPLICAS replicas did not confirm it in time (ChannelLog.awaitReplicas). */
export class NotReplicated extends StoredUnacknowledged {
  constructor(cause: string) {
    super('not_replicated', `Stored, and possibly delivered, but not confirmed by the Redis replicas (${cause}): retry with the same id`, RETRY_AFTER_S);
  }
}

/**
 * Redis answers that mean "not now" (a shard failing over, loading, a replica not writable; a MOVED that
 * ioredis did not follow — it returns one for an auto-pipeline whose commands failed differently), not
 * "never". The command did not run.
 */
const TRANSIENT_REPLY = /^(CLUSTERDOWN|TRYAGAIN|MASTERDOWN|LOADING|READONLY|MOVED|ASK)\b/;

/**
 * An accept that did not get an answer (connection lost, retries exhausted, the slot's master failing
 * over) is 503 `unavailable` with Retry-After: the message may or may not be stored, and a retry with
 * the same id is safe (idempotent). An error Redis answered for the data (WRONGTYPE …) stays as it is.
 */
export function unreachable(e: unknown): never {
  if (e instanceof HeraldError) throw e;
  if (e instanceof ReplyError && !TRANSIENT_REPLY.test((e as Error).message)) throw e;
  throw new HeraldError('unavailable', `Redis unreachable (${(e as Error).message}): retry with the same id`, RETRY_AFTER_S);
}
