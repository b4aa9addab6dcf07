import type { RedisClient } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';

/** One parked entry: where it came from, why it failed, and its original fields. */
export interface DeadLetter {
  /** Id of the dead-letter entry (not of the source entry). */
  id: string;
  /** The stream it was read from, without the prefix and shard (`archive`, `events`). */
  source: string;
  /** Its id in that stream. */
  sourceId: string;
  /** The app it belongs to, when its fields name one. */
  appId?: string;
  error: string;
  attempts: number;
  parkedAt: number;
  fields: Record<string, string>;
}

/** How many parked entries are kept; older ones are trimmed (they stay in the log line of their parking). */
const MAX_PARKED = 10_000;

/**
 * Entries a stream consumer could not handle after a bounded number of attempts, parked so the
 * consumer goes on with everyone else's. The operator lists them (admin API, `/metrics`), replays one
 * into its stream once the cause is fixed, or drops it.
 */
export class DeadLetters {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** Counts a failed attempt of one entry; returns the count so far. */
  async failed(stream: string, id: string): Promise<number> {
    const key = this.keys.deadAttempts(stream);
    const [[, n]] = (await this.redis.multi().hincrby(key, id, 1).pexpire(key, 86_400_000).exec()) as [[null, number]];
    return n;
  }

  /** The hash of failure counts of one stream's entries (cleared as entries go through). */
  attemptsKey(stream: string): string {
    return this.keys.deadAttempts(stream);
  }

  /**
   * Moves an entry out of its stream (acknowledged for `group`, deleted) into the dead-letter stream: two
   * steps, as the two streams sit in different slots (a sharded stream and the global dead letters).
   * Parked first, so a crash in between leaves the entry parked and still pending: parked again by the
   * next attempt (listed twice), never lost.
   */
  async park(stream: string, group: string, sourceId: string, fields: string[], error: string, attempts: number): Promise<void> {
    await this.redis.xadd(
      this.keys.deadLetters, 'MAXLEN', '~', MAX_PARKED, '*',
      'src', this.keys.streamName(stream), 'key', stream, 'sid', sourceId, 'err', error.slice(0, 500), 'n', attempts, 'at', Date.now(), 'fields', JSON.stringify(fields),
    );
    await this.redis.multi().xack(stream, group, sourceId).xdel(stream, sourceId).hdel(this.keys.deadAttempts(stream), sourceId).exec();
  }

  async count(): Promise<number> {
    return this.redis.xlen(this.keys.deadLetters);
  }

  /** Newest first. */
  async list(limit: number): Promise<DeadLetter[]> {
    const entries = (await this.redis.xrevrange(this.keys.deadLetters, '+', '-', 'COUNT', limit)) as Array<[string, string[]]>;
    return entries.map(([id, f]) => {
      const { key: _key, ...letter } = toDeadLetter(id, f);
      return letter;
    });
  }

  /**
   * Puts a parked entry back at the end of the stream it came from (the same shard); false if there is no
   * such entry. Appended first, then dropped from the dead letters (two slots): a crash in between leaves
   * it replayed and still listed, and the consumers are idempotent.
   */
  async replay(id: string): Promise<boolean> {
    const [entry] = (await this.redis.xrange(this.keys.deadLetters, id, id)) as Array<[string, string[]]>;
    if (!entry) return false;
    const letter = toDeadLetter(entry[0], entry[1]);
    const fields = Object.entries(letter.fields).flat();
    // Letters parked by the previous version name their stream without prefix only.
    await this.redis.xadd(letter.key ?? this.keys.prefix + letter.source, '*', ...fields);
    await this.redis.xdel(this.keys.deadLetters, id);
    return true;
  }

  async drop(id: string): Promise<boolean> {
    return (await this.redis.xdel(this.keys.deadLetters, id)) > 0;
  }
}

function toDeadLetter(id: string, raw: string[]): DeadLetter & { key?: string } {
  const f: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) f[raw[i]] = raw[i + 1];
  const list = JSON.parse(f.fields ?? '[]') as string[];
  const fields: Record<string, string> = {};
  for (let i = 0; i < list.length; i += 2) fields[list[i]] = list[i + 1];
  const k = fields.k ?? '';
  const bar = k.indexOf('|');
  return {
    id,
    source: f.src ?? '',
    key: f.key,
    sourceId: f.sid ?? '',
    appId: bar > 0 ? k.slice(0, bar) : undefined,
    error: f.err ?? '',
    attempts: Number(f.n ?? 0),
    parkedAt: Number(f.at ?? 0),
    fields,
  };
}
