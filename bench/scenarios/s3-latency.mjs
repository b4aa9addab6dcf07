// S3 (and S6's SSE/long-poll variants): M subscribers on one channel, publishes at a fixed rate open
// loop for a fixed time; publish→deliver p50/p99/p99.9 from the payload's timestamp.
import { broadcast } from './common.mjs';

export async function latencyRun(ctx, target, subs, { channel, rate, seconds, bytes }) {
  return broadcast(ctx, target, subs, { channel, count: Math.max(1, Math.round(rate * seconds)), rate, bytes });
}
