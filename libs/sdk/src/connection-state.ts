import type { ConnectionStatus } from './types.js';

/**
 * The connection's state machine, explicit: every status change goes through `next()`, and a change
 * the table does not list is ignored (a stale transport's late callback cannot move the client).
 *
 *   disconnected ─connect→ connecting ─open→ connected ─lost→ reconnecting ─open→ reconnected
 *   connecting ─lost→ connecting (retrying the first connection; onProgress counts the attempts)
 *   reconnected ─lost→ reconnecting;  any live status ─fail→ connect_failed (terminal refusal)
 *   any live status ─disconnect→ disconnecting ─closed→ disconnected
 */
export type ConnectionEvent = 'connect' | 'open' | 'lost' | 'fail' | 'disconnect' | 'closed';

const TABLE: Record<ConnectionStatus, Partial<Record<ConnectionEvent, ConnectionStatus>>> = {
  disconnected: { connect: 'connecting' },
  connecting: { open: 'connected', lost: 'connecting', fail: 'connect_failed', disconnect: 'disconnecting' },
  connected: { lost: 'reconnecting', fail: 'connect_failed', disconnect: 'disconnecting' },
  reconnecting: { open: 'reconnected', lost: 'reconnecting', fail: 'connect_failed', disconnect: 'disconnecting' },
  reconnected: { lost: 'reconnecting', fail: 'connect_failed', disconnect: 'disconnecting' },
  disconnecting: { closed: 'disconnected' },
  connect_failed: { connect: 'connecting', disconnect: 'disconnected' },
};

export function nextStatus(status: ConnectionStatus, event: ConnectionEvent): ConnectionStatus | null {
  return TABLE[status][event] ?? null;
}

/** True while the client wants a connection (a transport is open or being opened). */
export function isActive(status: ConnectionStatus): boolean {
  return status === 'connecting' || status === 'connected' || status === 'reconnecting' || status === 'reconnected';
}

export function isOpen(status: ConnectionStatus): boolean {
  return status === 'connected' || status === 'reconnected';
}

export class ConnectionMachine {
  private current: ConnectionStatus = 'disconnected';

  constructor(private readonly onChange: (status: ConnectionStatus, previous: ConnectionStatus) => void) {}

  get status(): ConnectionStatus {
    return this.current;
  }

  /** Applies an event; returns whether the status moved (a self-loop such as lost→lost counts). */
  send(event: ConnectionEvent): boolean {
    const to = nextStatus(this.current, event);
    if (to === null) return false;
    const from = this.current;
    this.current = to;
    if (to !== from) this.onChange(to, from);
    return true;
  }
}
