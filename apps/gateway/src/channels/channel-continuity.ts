import type { Logger } from '@herald/config';
import type { ChannelLog } from '@herald/bus';
import type { Position } from '@herald/protocol';
import type { Session, Subscription } from '../session/session.js';
import { LiveFrame, readLiveFrame } from './live-frame.js';
import { OutboundFrame } from '../session/outbound-frame.js';

/** What this gateway knows of one channel its clients hold. */
export interface ChannelState {
  readonly appId: string;
  readonly channel: string;
  readonly subs: Set<Subscription>;
  /** Sessions listening to the channel's presence events. */
  readonly watchers: Set<Session>;
  /** Epoch and last offset seen on the live feed; -1 until the first frame or recovery. */
  epoch: string;
  top: number;
  /** Set while history fills a gap; live frames wait in `held` meanwhile, in arrival order. */
  filling: boolean;
  held: LiveFrame[];
  /**
   * Recovery reads of this channel that resuming subscribers may share, by position ("epoch:offset", ""
   * for none). Dropped whenever a frame of the channel is delivered here: a read issued before any
   * frame after it reached this gateway misses nothing that a subscriber registered since would not get
   * live (see recover). Undefined until a subscriber resumes.
   */
  recoveries?: Map<string, SharedRecovery>;
}

/** One recovery read, its frames parsed once for every subscriber that shares it. */
export interface ReplayRead {
  epoch: string;
  top: number;
  recovered: boolean;
  frames: Array<{ frame: OutboundFrame; offset: number }>;
}

interface SharedRecovery {
  at: number;
  read: Promise<ReplayRead>;
}

/** How long a recovery read may be shared at most (its history window check is as of its own time). */
const RECOVERY_SHARE_MS = 1000;
/**
 * A channel whose catch-up read failed after a reconnect (its shard's new master not yet known to the
 * command client, still failing over) is tried again, after 250 ms, 500 ms, …: its frames published
 * before the subscription came back would otherwise wait for the channel's next message.
 */
const RESYNC_ATTEMPTS = 10;
const RESYNC_RETRY_MS = 250;

/**
 * Everything the hub reads from a channel's history: live frames put in offset order (a gap filled
 * from history, frames arriving meanwhile held), a lost continuity announced with `reset`, every
 * channel caught up after the pub/sub connection came back, and the recovery reads of resuming
 * subscribers. Frames leave in order through `deliver`, the hub's write to the channel's subscribers.
 */
export class ChannelContinuity {
  constructor(
    private readonly log: ChannelLog,
    private readonly logger: Logger,
    private readonly deliver: (state: ChannelState, live: LiveFrame) => void,
  ) {}

  /** A frame of the channel from the live feed. */
  receive(state: ChannelState, live: LiveFrame): void {
    state.recoveries = undefined;
    if (state.filling) state.held.push(live);
    else this.process(state, live);
  }

  /**
   * The recovery read of a resuming subscriber, shared by every subscriber of this gateway resuming the
   * channel from the same position while no frame of the channel has been delivered here since the read
   * was sent (a reconnect storm resumes thousands of clients at the same few offsets: one Redis script
   * and one parse for all of them). Exact for each: the caller is in `state.subs` before it asks, and a
   * frame newer than the read's top reaches this gateway only after the read was sent — that frame
   * drops the shared read (advance/reset/receive), so whoever found it still shared is registered before
   * every frame the read lacks is delivered, and receives them live (its backlog).
   */
  recover(state: ChannelState, app: Session['ctx']['app'], since: Position | undefined): Promise<ReplayRead> {
    const key = since ? `${since.epoch}:${since.offset}` : '';
    const now = Date.now();
    const shared = state.recoveries?.get(key);
    if (shared && now - shared.at < RECOVERY_SHARE_MS) return shared.read;
    const read = this.log.recover(app.id, state.channel, since, { historySize: app.historySize, historyTtlMs: app.historyTtlSeconds * 1000 }, now).then(
      (rec): ReplayRead => ({
        epoch: rec.epoch,
        top: rec.top,
        recovered: rec.recovered,
        frames: rec.frames.map((text) => {
          const f = readLiveFrame(text);
          return f ? { frame: f.frame, offset: f.offset } : { frame: OutboundFrame.fromText('message', text), offset: -1 };
        }),
      }),
    );
    const entry = { at: now, read };
    (state.recoveries ??= new Map()).set(key, entry);
    read.catch(() => {
      if (state.recoveries?.get(key) === entry) state.recoveries.delete(key);
    });
    return read;
  }

  /**
   * After the pub/sub connection came back: catch up every channel from history (failed ones again, a
   * few times, while `stillHeld` says the gateway still holds them).
   */
  async resyncAll(states: ChannelState[], stillHeld: (state: ChannelState) => boolean): Promise<void> {
    let pending = states;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const failed = [];
      for (const state of pending) if (!(await this.resync(state))) failed.push(state);
      if (failed.length === 0) return;
      if (attempt === RESYNC_ATTEMPTS) {
        this.logger.warn({ channels: failed.length }, 'resync gave up: these channels catch up on their next message');
        return;
      }
      await new Promise((r) => setTimeout(r, RESYNC_RETRY_MS * attempt));
      pending = failed.filter(stillHeld);
    }
  }

  private process(state: ChannelState, live: LiveFrame): void {
    if (state.top >= 0 && live.epoch !== state.epoch) {
      // A new epoch (history lost, or a failover: channel-scripts.ts) numbers from 1: announce the reset,
      // then deliver what it already holds before this frame, from history.
      this.reset(state, live.epoch, 0);
      if (live.offset > 1) {
        void this.fill(state, 1, live);
        return;
      }
    } else if (state.top >= 0 && live.offset > state.top + 1) {
      void this.fill(state, state.top + 1, live);
      return;
    } else if (state.top >= 0 && live.offset <= state.top) {
      return; // already delivered (e.g. also read while filling a gap)
    }
    this.advance(state, live);
  }

  private advance(state: ChannelState, live: LiveFrame): void {
    state.recoveries = undefined;
    state.epoch = live.epoch;
    state.top = live.offset;
    this.deliver(state, live);
  }

  /**
   * Reads the missed offsets from history (up to `upTo`, or to the newest when resyncing), delivers
   * them, then `upTo`, then the frames held meanwhile. Offsets the window no longer holds are
   * announced with a reset.
   */
  private async fill(state: ChannelState, from: number, upTo: LiveFrame | undefined): Promise<void> {
    state.filling = true;
    try {
      const to = upTo ? upTo.offset - 1 : Number.MAX_SAFE_INTEGER;
      const texts = await this.log.range(state.appId, state.channel, from, to);
      const frames = texts.map(readLiveFrame).filter((f): f is LiveFrame => f !== undefined && f.epoch === state.epoch);
      const contiguous = frames.every((f, i) => f.offset === from + i);
      const complete = contiguous && (upTo ? frames.length === upTo.offset - from : true);
      if (!complete) {
        this.logger.warn({ channel: state.channel, from, to }, 'gap beyond the history window');
        this.reset(state, state.epoch, upTo ? upTo.offset - 1 : (frames.at(-1)?.offset ?? state.top));
      } else {
        for (const f of frames) this.advance(state, f);
      }
    } catch (e) {
      this.logger.warn({ err: (e as Error).message, channel: state.channel }, 'gap fill failed');
      if (upTo) this.reset(state, upTo.epoch, upTo.offset - 1);
    } finally {
      if (upTo && upTo.offset > state.top) this.advance(state, upTo);
      state.filling = false;
      const held = state.held.splice(0);
      for (const f of held) {
        if (state.filling) state.held.push(f);
        else this.process(state, f);
      }
    }
  }

  /** Continuity lost (history flushed or passed): every subscriber is told, then continues from here. */
  private reset(state: ChannelState, epoch: string, offset: number): void {
    state.recoveries = undefined;
    state.epoch = epoch;
    state.top = offset;
    const frame = OutboundFrame.of({ type: 'reset', channel: state.channel, epoch, offset });
    for (const sub of state.subs) {
      if (sub.backlog) continue; // still subscribing: its recovery read reports the new epoch itself
      if (sub.epoch === epoch && sub.offset >= offset) continue; // already has everything up to here
      sub.epoch = epoch;
      sub.offset = offset;
      sub.session.send(frame);
    }
  }

  /** false when the channel's history could not be read (worth another try). */
  private async resync(state: ChannelState): Promise<boolean> {
    if (state.filling || state.top < 0) return true; // a fill in progress reads up to its live frame
    const app = [...state.subs][0]?.session.ctx.app;
    if (!app) return true;
    try {
      const rec = await this.log.recover(state.appId, state.channel, undefined, { historySize: app.historySize, historyTtlMs: app.historyTtlSeconds * 1000 });
      if (rec.epoch !== state.epoch) this.reset(state, rec.epoch, 0); // a new epoch: its frames follow, from 1
      if (rec.top > state.top) await this.fill(state, state.top + 1, undefined);
      // Not caught up: the fill's read failed. (A newer epoch seen live meanwhile is its own catch-up.)
      return state.epoch !== rec.epoch || state.top >= rec.top;
    } catch (e) {
      this.logger.warn({ err: (e as Error).message, channel: state.channel }, 'resync failed');
      return false;
    }
  }
}
