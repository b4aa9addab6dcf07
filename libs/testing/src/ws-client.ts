import WebSocket from 'ws';
import { waitFor } from './wait.js';

export type Frame = Record<string, unknown> & { type: string };

/** A real `ws` client that records every frame, for asserting on what a subscriber saw. */
export class WsClient {
  readonly frames: Frame[] = [];
  closeCode?: number;
  closeReason?: string;
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d: Buffer) => this.frames.push(JSON.parse(d.toString()) as Frame));
    ws.on('close', (code: number, reason: Buffer) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
    ws.on('error', () => undefined);
  }

  /** Connects and waits for the `connected` frame (or the close of a refused connection). */
  static async connect(
    url: string,
    appkey: string,
    opts: { headers?: Record<string, string>; autoPong?: boolean; query?: Record<string, string> } = {},
  ): Promise<WsClient> {
    const query = new URLSearchParams({ appkey, ...opts.query });
    const c = new WsClient(new WebSocket(`${url}?${query}`, { headers: opts.headers, autoPong: opts.autoPong ?? true }));
    await waitFor(() => c.frames.some((f) => f.type === 'connected') || c.closeCode !== undefined, { what: 'connected or closed' });
    return c;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a frame with a fresh id and waits for the frame answering it (reply, subscribed, pong or error). */
  async request(frame: Record<string, unknown>, timeoutMs = 5_000): Promise<Frame> {
    const id = this.nextId++;
    this.send({ ...frame, id });
    let found: Frame | undefined;
    await waitFor(() => (found = this.frames.find((f) => f.id === id)) !== undefined, { timeoutMs, what: `answer to ${String(frame.type)}` });
    return found!;
  }

  async subscribe(channel: string, since?: { offset: number; epoch: string }): Promise<Frame> {
    return this.request({ type: 'subscribe', channel, ...(since ?? {}) });
  }

  messages(channel?: string): Frame[] {
    return this.frames.filter((f) => f.type === 'message' && (channel === undefined || f.channel === channel));
  }

  async waitForMessages(n: number, channel?: string, timeoutMs = 10_000): Promise<Frame[]> {
    await waitFor(() => this.messages(channel).length >= n, { timeoutMs, what: `${n} messages (have ${this.messages(channel).length})` });
    return this.messages(channel);
  }

  async waitClosed(timeoutMs = 5_000): Promise<number> {
    await waitFor(() => this.closeCode !== undefined, { timeoutMs, what: 'close' });
    return this.closeCode!;
  }

  close(): void {
    this.ws.close();
  }
}
