import { OutboundFrame } from '../session/outbound-frame.js';

/** The fields the gateway needs from a message frame, read without trusting its shape. */
export interface LiveFrame {
  /** Encoded once per transport kind for every subscriber of this gateway. */
  frame: OutboundFrame;
  offset: number;
  epoch: string;
  /** Publish time (ms), for the publish→deliver latency metric. */
  time: number;
}

export function readLiveFrame(text: string): LiveFrame | undefined {
  try {
    const m = JSON.parse(text) as { offset?: unknown; epoch?: unknown; time?: unknown };
    if (typeof m.offset !== 'number' || typeof m.epoch !== 'string') return undefined;
    return { frame: OutboundFrame.fromText('message', text), offset: m.offset, epoch: m.epoch, time: typeof m.time === 'number' ? m.time : 0 };
  } catch {
    return undefined;
  }
}
