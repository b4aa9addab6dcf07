/** The fields the gateway needs from a message frame, read without trusting its shape. */
export interface LiveFrame {
  frame: Buffer;
  offset: number;
  epoch: string;
  /** Publish time (ms), for the publish→deliver latency metric. */
  time: number;
}

export function readLiveFrame(text: string): LiveFrame | undefined {
  try {
    const m = JSON.parse(text) as { offset?: unknown; epoch?: unknown; time?: unknown };
    if (typeof m.offset !== 'number' || typeof m.epoch !== 'string') return undefined;
    return { frame: Buffer.from(text, 'utf8'), offset: m.offset, epoch: m.epoch, time: typeof m.time === 'number' ? m.time : 0 };
  } catch {
    return undefined;
  }
}
