/**
 * The gateway's frames as the SDK reads and writes them. Mirrors libs/protocol/src/frames.ts (the
 * source of truth); kept here so the SDK bundle imports nothing from the server side.
 */
import type { ErrorShape, PresenceMember } from './types.js';

export interface WireMessage {
  type: 'message';
  channel: string;
  id: string;
  time: number;
  content: unknown;
  offset: number;
  epoch: string;
}
export interface WireSubscribed {
  type: 'subscribed';
  id?: number | string;
  channel: string;
  epoch: string;
  offset: number;
  recovered: boolean;
  replayed: number;
}
export interface WirePresence {
  type: 'presence';
  channel: string;
  action: 'join' | 'leave' | 'timeout';
  member: PresenceMember;
  time: number;
  amount: number;
}

export type ServerFrame =
  | { type: 'connected'; connectionId: string; pingInterval: number; pongTimeout: number }
  | WireSubscribed
  | WireMessage
  | { type: 'reply'; id?: number | string; result: unknown }
  | ({ type: 'error'; id?: number | string; channel?: string } & ErrorShape)
  | { type: 'ping'; id?: number | string }
  | { type: 'pong'; id?: number | string }
  | { type: 'reset'; channel: string; epoch: string; offset: number }
  | WirePresence
  | { type: 'disconnect'; code: number; reason: string; reconnect: boolean };

export interface Position {
  offset: number;
  epoch: string;
}

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

/** Close codes the SDK decides by range (libs/protocol/src/close-codes.ts). */
export function isTerminalClose(code: number): boolean {
  return code >= 4400 && code < 4500;
}
