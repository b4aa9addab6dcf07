// S2 (and S6's SSE/long-poll variants): N subscribers on one channel, 100-byte messages published over
// HTTP open loop at a fixed rate; deliveries per server CPU-second. The message count is
// deliveries ÷ fullN (S1's N), so a transport measured with fewer subscribers (long-polling) gets the same
// messages and proportionally fewer deliveries.
import { broadcast } from './common.mjs';

export async function broadcastRun(ctx, target, subs, { channel, deliveries, fullN, rate, bytes }) {
  const count = Math.max(1, Math.ceil(deliveries / fullN));
  return broadcast(ctx, target, subs, { channel, count, rate, bytes });
}
