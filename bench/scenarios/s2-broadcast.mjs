// S2 (and S6's SSE/long-poll variants): N subscribers on one channel, 100-byte messages published over
// HTTP closed loop (at most `window` messages not yet delivered to every subscriber, so that no target
// falls behind its load and each runs as fast as it delivers); deliveries per server CPU-second. The message count is
// deliveries ÷ fullN (S1's N), so a transport measured with fewer subscribers (long-polling) gets the same
// messages and proportionally fewer deliveries.
import { broadcast } from './common.mjs';

export async function broadcastRun(ctx, target, subs, { channel, deliveries, fullN, window, bytes }) {
  const count = Math.max(1, Math.ceil(deliveries / fullN));
  return broadcast(ctx, target, subs, { channel, count, window, bytes });
}
