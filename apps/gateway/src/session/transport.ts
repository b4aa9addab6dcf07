/**
 * What the session core needs from a transport, and nothing more (Centrifugo's Transport shape).
 * WebSocket is the first adapter; SSE and long-polling implement the same interface.
 */
export interface Transport {
  readonly name: 'ws' | 'sse' | 'poll';
  /** Writes one encoded server frame. The same Buffer may be passed to many transports. */
  send(data: string | Buffer): void;
  /** A liveness probe the peer answers (WS ping frame; no-op where the transport has none). */
  ping(): void;
  /** Ends the connection with a close code from libs/protocol and its reason. */
  close(code: number, reason: string): void;
}
