/** HERALD_REDIS_SHARDS' default: how many shards the streams and indexes over all apps are split into. */
export const DEFAULT_REDIS_SHARDS = 8;

/** FNV-1a (32 bits) of a text's UTF-16 code units: the stable hash that places entries in shards and jobs in queues. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The streams and indexes over all apps, each split into shards (`RedisKeys.shardKey`). */
export type ShardedKey = 'archive' | 'events' | 'usage-minutes' | 'presence-channels' | 'occupied-channels';

/**
 * Every Redis key and pub/sub channel Herald uses, in one place, always scoped by the configured prefix
 * and the app id. App ids ([A-Za-z0-9_]) and channel names never contain '|', so `appId|channel`
 * cannot be forged by a channel name.
 *
 * Slot families (Redis Cluster hashes only the `{…}` part of a key): per-channel keys share the tag
 * `{appId|channel}` in both modes. In cluster mode per-app keys carry `{appId}` and the channel's
 * idempotency keys move under its `{appId|channel}`; on a single Redis those keep their names, so
 * upgrading loses no counter. The streams and indexes over all apps (archive feed, events feed, usage,
 * presence and occupancy indexes) are split into `shards` shards `{<prefix>s:<k>}` in both modes, k a
 * stable hash of `appId|channel` (of `appId` for usage), so one channel's entries stay in order in one
 * shard and no single key carries all traffic. What the previous version wrote to their unsharded
 * names (`legacy`) is read by the worker until it is empty. docs/architecture.md#redis-cluster.
 */
export class RedisKeys {
  constructor(
    readonly prefix: string,
    /** Redis Cluster: per-app keys carry hash tags, idempotency keys sit in their channel's slot (see above). */
    readonly cluster = false,
    /** HERALD_REDIS_SHARDS. */
    readonly shards = DEFAULT_REDIS_SHARDS,
  ) {
    if (!Number.isSafeInteger(shards) || shards < 1) throw new Error(`shards must be a positive integer, got ${shards}`);
  }

  /** The key naming of a process's configuration: its prefix, its mode (cluster or one Redis), its shards. */
  static of(config: { redisPrefix: string; redisClusterNodes?: unknown; redisShards: number }): RedisKeys {
    return new RedisKeys(config.redisPrefix, config.redisClusterNodes !== undefined, config.redisShards);
  }

  /** The shard of a channel's (or, without a channel, an app's) entries: FNV-1a of `appId|channel`, stable across versions and processes. */
  shardOf(appId: string, channel?: string): number {
    return fnv1a(channel === undefined ? appId : `${appId}|${channel}`) % this.shards;
  }

  /** Shard `k` of a sharded stream or index: its own slot family `{<prefix>s:<k>}`. */
  shardKey(name: ShardedKey, k: number): string {
    return `{${this.prefix}s:${k}}${name}`;
  }

  /** Every shard of a sharded stream or index, in shard order (the consumers read them all). */
  allShards(name: ShardedKey): string[] {
    return Array.from({ length: this.shards }, (_, k) => this.shardKey(name, k));
  }

  /** The unsharded name the previous version wrote (`P<name>`; `P{g}<name>` in cluster mode): drained by the worker. */
  legacy(name: ShardedKey): string {
    return this.global(name);
  }

  /** A stream's name as operators see it (dead letters' `source`): without prefix and shard tag. */
  streamName(key: string): string {
    const shardTag = `{${this.prefix}s:`;
    if (key.startsWith(shardTag)) return key.slice(key.indexOf('}') + 1);
    return key.startsWith(this.prefix) ? key.slice(this.prefix.length) : key;
  }

  /** The app id as it appears in per-app keys: its own slot family in cluster mode. */
  private app(appId: string): string {
    return this.cluster ? `{${appId}}` : appId;
  }

  /** A key of no app and no shard (dead letters, the previous version's unsharded names): slot family `{g}` in cluster mode. */
  private global(name: string): string {
    return this.cluster ? `${this.prefix}{g}${name}` : `${this.prefix}${name}`;
  }

  member(appId: string, channel: string): string {
    return `${appId}|${channel}`;
  }

  channel(appId: string, channel: string): ChannelKeys {
    const tag = `${this.prefix}{${appId}|${channel}}`;
    return {
      meta: `${tag}:meta`,
      pending: `${tag}:pend`,
      history: `${tag}:hist`,
      // A cluster's fan-out is sharded pub/sub, published by the channel's scripts: the name must hash to the
      // channel's slot. One Redis keeps the classic name (MQTT wildcards pattern-subscribe to it; on a cluster
      // they read mqttWildcardFanout instead).
      fanout: this.cluster ? `${tag}:fan` : `${this.prefix}fan:${appId}|${channel}`,
      presenceConns: `${tag}:pres:conns`,
      presenceUsers: `${tag}:pres:users`,
      presenceCount: `${tag}:pres:count`,
      occupancy: `${tag}:occ`,
      subscribers: `${tag}:subs`,
      retained: `${tag}:retained`,
      unfed: `${tag}:unfed`,
    };
  }

  /**
   * A message id's acceptance, checked by the accept script. On a single Redis ids are unique per app;
   * in cluster mode per channel (the key must sit in the channel's slot; docs/protocol.md).
   */
  idempotency(appId: string, channel: string, messageId: string): string {
    return this.cluster ? `${this.prefix}{${appId}|${channel}}:idem:${messageId}` : `${this.prefix}idem:${appId}:${messageId}`;
  }

  /**
   * An MQTT client's persistent session (issue 17): its subscriptions and positions, kept while the client
   * is away. Client ids are any UTF-8 text: the key holds a digest of it, scoped by the app.
   */
  mqttSession(appId: string, clientIdDigest: string): string {
    return `${this.prefix}mqtt:${appId}:${clientIdDigest}`;
  }

  /**
   * Pub/sub channel of MQTT session takeovers: each notice names one app, one client id digest and the
   * connection that now holds it; every other live connection with that client id closes (0x8E).
   */
  get mqttTakeovers(): string {
    return `${this.prefix}mqtt-takeovers`;
  }

  /** ZSET channel → retained message expiry (ms): one app's channels with an MQTT retained message, for wildcard subscribers. */
  mqttRetainedIndex(appId: string): string {
    return `${this.prefix}mqtt-retained:${this.app(appId)}`;
  }

  /**
   * ZSET gatewayId → lease expiry (ms): the gateways holding MQTT wildcard filters of the app (cluster mode
   * only; MqttWildcardMarks). While it has a live entry, the app's accepts also publish on `mqttWildcardFanout`.
   */
  mqttWildcardHolders(appId: string): string {
    return `${this.prefix}mqtt-wild:${this.app(appId)}`;
  }

  /**
   * Classic pub/sub channel (cluster mode only) carrying every message of an app with MQTT wildcard
   * subscribers, as `<channel>\n<frame>`: broadcast to every node, so a gateway subscribes to it on any.
   * A channel name, not a key: no slot (the accept script may publish on it from any channel's slot).
   */
  mqttWildcardFanout(appId: string): string {
    return `${this.prefix}mqtt-wild-fan:${appId}`;
  }

  /** ZSET connection id → lease expiry: the app's live connections, on every gateway. */
  connections(appId: string): string {
    return `${this.prefix}conns:${this.app(appId)}`;
  }

  /** Publishes of an app in one second (fixed window, expires after 2 s). */
  publishRate(appId: string, second: number): string {
    return `${this.prefix}rate:${this.app(appId)}:${second}`;
  }

  /** Messages (publishes + deliveries) of an app on one UTC day, YYYYMMDD. */
  dailyUsage(appId: string, day: string): string {
    return `${this.prefix}usage:${this.app(appId)}:${day}`;
  }

  /** Hash of one app's counters in one second (p publishes, d deliveries), kept 10 s for live rates. */
  liveSecond(appId: string, second: number): string {
    return `${this.prefix}ls:${this.app(appId)}:${second}`;
  }

  /** ZSET channel → (a lower bound of) its earliest holder lease expiry: one app's occupied channels. */
  occupiedChannels(appId: string): string {
    return `${this.prefix}occ-app:${this.app(appId)}`;
  }

  /** Hash of one app's counters in one UTC minute (p publishes, d deliveries, w webhook attempts, c peak connections). */
  usageMinute(appId: string, minute: number): string {
    return `${this.prefix}um:${this.app(appId)}:${minute}`;
  }

  /** ZSET `appId|minute` → minute: the per-minute counters the worker has not finished rolling up (the app's shard). */
  usageIndex(appId: string): string {
    return this.shardKey('usage-minutes', this.shardOf(appId));
  }

  /** Log-in or sign-up attempts from one client address in the current window (management plane, no app). */
  attemptsByAddress(kind: 'login' | 'signup', address: string): string {
    return `${this.prefix}attempts:${kind}:${address}`;
  }

  /** Failed log-ins of one account (by a digest of its email) in the current window. */
  loginFailures(accountDigest: string): string {
    return `${this.prefix}login-fail:${accountDigest}`;
  }

  /** Channels held by some gateway, scored by (a lower bound of) their earliest holder lease expiry (the channel's shard). */
  occupancyIndex(appId: string, channel: string): string {
    return this.shardKey('occupied-channels', this.shardOf(appId, channel));
  }

  /**
   * Pub/sub channel of Pusher's terminate_connections: each message names one app and one user id
   * (`appId|userId`); a gateway closes only that app's sockets signed in as that user.
   */
  get pusherTerminations(): string {
    return `${this.prefix}pusher-terminations`;
  }

  /** Stream of channel and presence events (occupied, vacated, joined, left) that webhooks are made of (the channel's shard). */
  events(appId: string, channel: string): string {
    return this.shardKey('events', this.shardOf(appId, channel));
  }

  /** ZSET delivery job id → lease expiry: one app's webhook deliveries in flight, on every worker. */
  webhookSlots(appId: string): string {
    return `${this.prefix}wh-slots:${this.app(appId)}`;
  }

  /** Hash of one webhook endpoint's circuit: f = consecutive failures, o = open until (ms), p = half-open probe lease. */
  webhookCircuit(appId: string, webhookId: string): string {
    return `${this.prefix}wh-circuit:${this.app(appId)}:${webhookId}`;
  }

  /** ZSET of the app's push requests in flight (slot token → lease expiry), as webhookSlots. */
  pushSlots(appId: string): string {
    return `${this.prefix}push-slots:${this.app(appId)}`;
  }

  /** Hash of one push service origin's circuit for the app (fields as webhookCircuit). */
  pushCircuit(appId: string, origin: string): string {
    return `${this.prefix}push-circuit:${this.app(appId)}:${origin}`;
  }

  /**
   * The previous publish path's index of channels with accepted messages not yet appended; read once
   * by the worker at start to append them (ChannelLog.drainLegacy). Nothing writes it any more.
   */
  get legacyPendingIndex(): string {
    return this.global('pending-channels');
  }

  /** Channels with presence members, scored by (a lower bound of) their earliest lease expiry (the channel's shard). */
  presenceIndex(appId: string, channel: string): string {
    return this.shardKey('presence-channels', this.shardOf(appId, channel));
  }

  /** Feed of stored messages for the Postgres archiver and message.published webhooks (the channel's shard; a stream with a consumer group). */
  archive(appId: string, channel: string): string {
    return this.shardKey('archive', this.shardOf(appId, channel));
  }

  /** Stream of entries a consumer gave up on after HERALD_STREAM_MAX_ATTEMPTS (libs/bus dead-letters). */
  get deadLetters(): string {
    return this.global('dead-letters');
  }

  /**
   * Hash: entry id → failed attempts, for one consumed stream, in the stream's slot (the consumer
   * acknowledges an entry and clears its count in one MULTI). Herald's streams carry a hash tag, kept by
   * the suffix; on a cluster a stream named without one is wrapped whole in the tag, which hashes as the
   * name itself does — else the MULTI is refused as cross-slot and the consumer retries it forever.
   */
  deadAttempts(stream: string): string {
    return this.cluster && !hasHashTag(stream) ? `{${stream}}:attempts` : `${stream}:attempts`;
  }

  /**
   * BullMQ's key prefix of the maintenance queue, and the previous version's prefix of every queue (drained
   * by the workers, libs/queue ShardedWorker): in cluster mode one hash tag, so each queue's keys (BullMQ's
   * scripts span them) share a slot.
   */
  get bullPrefix(): string {
    return this.cluster ? `{${this.prefix}bull}` : `${this.prefix}bull`;
  }

  /** BullMQ's key prefix of work queue k (libs/queue QueueShards): a slot family of its own, `{<prefix>bull:<k>}`, in both modes. */
  bullShardPrefix(k: number): string {
    return `{${this.prefix}bull:${k}}`;
  }

  /** The start of every classic fan-out channel name (one Redis; sharded fan-out names on a cluster have no common prefix a pattern could match). */
  get fanoutPrefix(): string {
    return `${this.prefix}fan:`;
  }
}

/** Whether Redis Cluster hashes only part of `key`: a `{` followed, later, by a `}` with something between. */
function hasHashTag(key: string): boolean {
  const open = key.indexOf('{');
  if (open < 0) return false;
  const close = key.indexOf('}', open + 1);
  return close > open + 1;
}

export interface ChannelKeys {
  /** Hash: e = epoch, s = last offset (a = last appended offset, on a channel the previous path left pending). */
  meta: string;
  /** The previous path's hash of offset → frame accepted but not yet appended; read only to upgrade a channel. */
  pending: string;
  /** Stream: entry id `<offset>-0`, fields f = frame, t = append time (ms). */
  history: string;
  /** Pub/sub channel carrying each stored frame (and presence events); a shard channel (SPUBLISH) in the channel's slot on a cluster. */
  fanout: string;
  /** Sorted set: `connId|userId` → lease expiry (ms). */
  presenceConns: string;
  /** Hash: userId → member data (JSON object text), for users with a live connection. */
  presenceUsers: string;
  /** Hash: userId → number of live connections. */
  presenceCount: string;
  /** Sorted set: gatewayId → lease expiry (ms), the gateways with at least one local subscriber. */
  occupancy: string;
  /** Hash: gatewayId → its local subscriber count (refreshed within a second of a change, for the dashboard). */
  subscribers: string;
  /** String: the channel's MQTT retained message (its payload text), given to each new MQTT subscriber. */
  retained: string;
  /** Set of idempotency keys whose message is stored but whose archive feed write failed: fed by the publisher's retry. */
  unfed: string;
}
