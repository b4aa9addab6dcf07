/**
 * The gateway's frames as the SDK reads and writes them. The frame types, positions, cursor format,
 * channel rules and close-code ranges are libs/protocol's, bundled into the SDK (that library is
 * platform-neutral for this); only what the SDK alone needs is defined here.
 */
import type { Position, ServerFrame } from '../../protocol/src/frames.js';

export type { MessageFrame, Position, PresenceFrame, ServerFrame, SubscribedFrame } from '../../protocol/src/frames.js';
export { MAX_CHANNELS_PER_FRAME } from '../../protocol/src/frames.js';
export { CLOSE_CODES, isTerminalClose } from '../../protocol/src/close-codes.js';
export { isValidChannel } from '../../protocol/src/channel.js';

/** What a transport asks the gateway to subscribe, with the position to resume from. */
export interface SubscribeRequest {
  channel: string;
  position?: Position;
  presence: boolean;
  /** Presence events of the channel (subscribePresence). Stream transports only; WS sends frames. */
  presenceEvents: boolean;
  /** Messages wanted; false for a channel held only for presence events on a stream transport. */
  messages: boolean;
  accessToken?: string;
}

export function isServerFrame(v: unknown): v is ServerFrame {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}
