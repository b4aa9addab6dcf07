import { decodeCursor } from '../cursor.js';
import { withQuery } from '../url.js';
import type { ServerFrame } from '../wire.js';
import { errorOf, judge, networkError } from './http.js';
import { HttpTransport } from './http-transport.js';

interface PollAnswer {
  cursor: string;
  frames: ServerFrame[];
}

/**
 * Long-polling on `/poll`: each request carries the channel set and a cursor of the client's
 * positions, so any gateway serves it. A request with a channel not yet confirmed asks `wait=0`
 * (answer at once with a starting position), then requests are held by the gateway (25 s). The
 * gateway sends `subscribed` only when a resume failed; a channel answered without an error is
 * confirmed here with the position the cursor gives. Presence membership is refused on long-polling
 * by the gateway: the client subscribes without it and reports an `error` event (docs/sdk.md).
 */
export class PollingTransport extends HttpTransport {
  readonly name = 'polling' as const;
  protected readonly cursorParam = 'cursor';
  private controller?: AbortController;
  private loop = 0;

  protected start(): void {
    if (this.done) return;
    if (this.set.size === 0) {
      void this.idle('poll');
      return;
    }
    void this.run(++this.loop);
  }

  protected stop(): void {
    this.loop++;
    this.controller?.abort();
    this.controller = undefined;
  }

  private async run(loop: number): Promise<void> {
    const t = this.ctx.timers;
    while (!this.done && loop === this.loop && this.set.size) {
      for (const item of this.set.values()) item.presence = false; // refused on long-polling
      const fresh = [...this.set.keys()].filter((c) => !this.confirmed.has(c));
      const url = withQuery(this.base('poll'), this.query(fresh.length || !this.opened ? [['wait', 0]] : []));
      const controller = new AbortController();
      this.controller = controller;
      const timer = t.setTimeout(() => controller.abort(), this.ctx.pollTimeout);
      let answer: PollAnswer;
      try {
        const res = await this.fetch(url, { signal: controller.signal, cache: 'no-store' });
        if (loop !== this.loop || this.done) return;
        if (!res.ok) {
          const v = judge(await errorOf(res));
          if (loop !== this.loop || this.done) return;
          this.refused(v);
          return;
        }
        answer = (await res.json()) as PollAnswer;
      } catch (e) {
        if (loop !== this.loop || this.done) return;
        this.finish({ code: 1006, reason: networkError(e).content });
        return;
      } finally {
        t.clearTimeout(timer);
      }
      if (loop !== this.loop || this.done) return;
      this.deliver(answer, fresh);
    }
  }

  private deliver(answer: PollAnswer, fresh: string[]): void {
    this.connected(`poll-${Date.now().toString(36)}`);
    const told = new Set<string>();
    for (const f of answer.frames) if ((f.type === 'subscribed' || f.type === 'error') && f.channel !== undefined) told.add(f.channel);
    const positions = decodeCursor(answer.cursor);
    for (const channel of fresh) {
      if (told.has(channel) || !this.set.has(channel)) continue;
      const p = this.ctx.position(channel);
      const at = positions.get(channel) ?? p ?? { epoch: '', offset: 0 };
      // Replayed messages (if any) follow in this answer; the offset is where they start from.
      this.emit({ type: 'subscribed', channel, epoch: at.epoch, offset: p && p.epoch === at.epoch ? p.offset : at.offset, recovered: true, replayed: 0 });
    }
    for (const f of answer.frames) this.emit(f);
  }
}
