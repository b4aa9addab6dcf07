import type { OutboundFrame } from './outbound-frame.js';

/**
 * What the session core needs from a transport, and nothing more (Centrifugo's Transport shape).
 * WebSocket, SSE and long-polling implement it; none of them holds a guarantee of its own.
 */
export interface Transport {
  readonly name: 'ws' | 'sse' | 'poll' | 'pusher' | 'mqtt';
  /** One-way transports cannot answer pings: their liveness is their socket's. */
  readonly unidirectional: boolean;
  /** How often the core's sweep calls ping(). */
  readonly pingIntervalMs: number;
  /** Writes one server frame, taking its own encoding from it. The same frame goes to many transports. */
  send(frame: OutboundFrame): void;
  /** A liveness probe: a WS ping frame plus `{"type":"ping"}`, an SSE comment line. */
  ping(): void;
  /** Ends the connection with a close code from libs/protocol and its reason. */
  close(code: number, reason: string): void;
  /** Resolves once the connection is gone (after a close handshake, for WebSocket). */
  whenClosed(): Promise<void>;
  /** Drops the connection without a handshake (a peer that never completed its close). */
  terminate(): void;
}
