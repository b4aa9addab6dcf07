/**
 * Every Redis key and pub/sub channel Herald uses, in one place, always scoped by the configured prefix
 * and the app id. App ids ([A-Za-z0-9_]) and channel names never contain '|', so `appId|channel`
 * cannot be forged by a channel name. Per-channel keys share one hash tag, so a channel's Lua scripts
 * stay within one slot should Redis Cluster be used.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  member(appId: string, channel: string): string {
    return `${appId}|${channel}`;
  }

  channel(appId: string, channel: string): ChannelKeys {
    const tag = `${this.prefix}{${appId}|${channel}}`;
    return {
      meta: `${tag}:meta`,
      pending: `${tag}:pend`,
      history: `${tag}:hist`,
      fanout: `${this.prefix}fan:${appId}|${channel}`,
      presenceConns: `${tag}:pres:conns`,
      presenceUsers: `${tag}:pres:users`,
      presenceCount: `${tag}:pres:count`,
      occupancy: `${tag}:occ`,
      subscribers: `${tag}:subs`,
      retained: `${tag}:retained`,
    };
  }

  idempotency(appId: string, messageId: string): string {
    return `${this.prefix}idem:${appId}:${messageId}`;
  }

  /**
   * An MQTT client's persistent session (issue 17): its subscriptions and positions, kept while the client
   * is away. Client ids are any UTF-8 text: the key holds a digest of it, scoped by the app.
   */
  mqttSession(appId: string, clientIdDigest: string): string {
    return `${this.prefix}mqtt:${appId}:${clientIdDigest}`;
  }

  /** ZSET connection id → lease expiry: the app's live connections, on every gateway. */
  connections(appId: string): string {
    return `${this.prefix}conns:${appId}`;
  }

  /** Publishes of an app in one second (fixed window, expires after 2 s). */
  publishRate(appId: string, second: number): string {
    return `${this.prefix}rate:${appId}:${second}`;
  }

  /** Messages (publishes + deliveries) of an app on one UTC day, YYYYMMDD. */
  dailyUsage(appId: string, day: string): string {
    return `${this.prefix}usage:${appId}:${day}`;
  }

  /** Hash of one app's counters in one second (p publishes, d deliveries), kept 10 s for live rates. */
  liveSecond(appId: string, second: number): string {
    return `${this.prefix}ls:${appId}:${second}`;
  }

  /** ZSET channel → (a lower bound of) its earliest holder lease expiry: one app's occupied channels. */
  occupiedChannels(appId: string): string {
    return `${this.prefix}occ-app:${appId}`;
  }

  /** Hash of one app's counters in one UTC minute (p publishes, d deliveries, w webhook attempts, c peak connections). */
  usageMinute(appId: string, minute: number): string {
    return `${this.prefix}um:${appId}:${minute}`;
  }

  /** ZSET `appId|minute` → minute: the per-minute counters the worker has not finished rolling up. */
  get usageIndex(): string {
    return `${this.prefix}usage-minutes`;
  }

  /** Log-in or sign-up attempts from one client address in the current window (management plane, no app). */
  attemptsByAddress(kind: 'login' | 'signup', address: string): string {
    return `${this.prefix}attempts:${kind}:${address}`;
  }

  /** Failed log-ins of one account (by a digest of its email) in the current window. */
  loginFailures(accountDigest: string): string {
    return `${this.prefix}login-fail:${accountDigest}`;
  }

  /** Channels held by some gateway, scored by (a lower bound of) their earliest holder lease expiry. */
  get occupancyIndex(): string {
    return `${this.prefix}occupied-channels`;
  }

  /**
   * Pub/sub channel of Pusher's terminate_connections: each message names one app and one user id
   * (`appId|userId`); a gateway closes only that app's sockets signed in as that user.
   */
  get pusherTerminations(): string {
    return `${this.prefix}pusher-terminations`;
  }

  /** Stream of channel and presence events (occupied, vacated, joined, left) that webhooks are made of. */
  get events(): string {
    return `${this.prefix}events`;
  }

  /** ZSET delivery job id → lease expiry: one app's webhook deliveries in flight, on every worker. */
  webhookSlots(appId: string): string {
    return `${this.prefix}wh-slots:${appId}`;
  }

  /** Hash of one webhook endpoint's circuit: f = consecutive failures, o = open until (ms), p = half-open probe lease. */
  webhookCircuit(appId: string, webhookId: string): string {
    return `${this.prefix}wh-circuit:${appId}:${webhookId}`;
  }

  /**
   * The previous publish path's index of channels with accepted messages not yet appended; read once
   * by the worker at start to append them (ChannelLog.drainLegacy). Nothing writes it any more.
   */
  get legacyPendingIndex(): string {
    return `${this.prefix}pending-channels`;
  }

  /** Channels with presence members, scored by (a lower bound of) their earliest lease expiry. */
  get presenceIndex(): string {
    return `${this.prefix}presence-channels`;
  }

  /** Feed of stored messages for the Postgres archiver and message.published webhooks (a stream with a consumer group). */
  get archive(): string {
    return `${this.prefix}archive`;
  }

  /** Stream of entries a consumer gave up on after HERALD_STREAM_MAX_ATTEMPTS (libs/bus dead-letters). */
  get deadLetters(): string {
    return `${this.prefix}dead-letters`;
  }

  /** Hash: entry id → failed attempts, for one consumed stream. */
  deadAttempts(stream: string): string {
    return `${stream}:attempts`;
  }

  get bullPrefix(): string {
    return `${this.prefix}bull`;
  }

  /** Pub/sub pattern matching every fan-out channel of this prefix (metrics, debugging). */
  get fanoutPrefix(): string {
    return `${this.prefix}fan:`;
  }
}

export interface ChannelKeys {
  /** Hash: e = epoch, s = last offset (a = last appended offset, on a channel the previous path left pending). */
  meta: string;
  /** The previous path's hash of offset → frame accepted but not yet appended; read only to upgrade a channel. */
  pending: string;
  /** Stream: entry id `<offset>-0`, fields f = frame, t = append time (ms). */
  history: string;
  /** Pub/sub channel carrying each stored frame (and presence events). */
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
}
