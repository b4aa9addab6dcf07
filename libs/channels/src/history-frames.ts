import type { MessageFrame } from '@herald/protocol';

/** A message as history returns it: the delivered frame without its `type`. */
export type HistoryMessage = Omit<MessageFrame, 'type'>;

/** Frames are stored as the JSON text every transport forwards; history hands back their fields. */
export function parseFrames(frames: readonly string[]): HistoryMessage[] {
  return frames.map((f) => {
    const { type: _type, ...message } = JSON.parse(f) as MessageFrame;
    return message;
  });
}
