import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './wait.js';

export interface ReceivedEvent {
  id: string;
  type: string;
  channel: string;
  time: number;
  data?: unknown;
}

export interface ReceivedDelivery {
  headers: IncomingHttpHeaders;
  /** The raw body, as signed. */
  raw: string;
  body: { id: string; appId: string; webhookId: string; time: number; events: ReceivedEvent[] };
  /** What the receiver answered. */
  status: number;
  at: number;
}

/**
 * A local HTTP endpoint for webhook tests: records every request and answers with what `respond` says
 * (200 by default; a number is the status; 'hang' never answers).
 */
export class WebhookReceiver {
  readonly requests: ReceivedDelivery[] = [];
  respond: (d: Omit<ReceivedDelivery, 'status'>, nth: number) => number | 'hang' = () => 200;
  private readonly hanging = new Set<import('node:http').ServerResponse>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    let self: WebhookReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => self!.handle(req.headers, Buffer.concat(chunks).toString('utf8'), res));
    });
    server.keepAliveTimeout = 30_000;
    self = new WebhookReceiver(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Deliveries answered with a 2xx. */
  accepted(): ReceivedDelivery[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  /** Events of deliveries answered with a 2xx, in arrival order. */
  acceptedEvents(type?: string): ReceivedEvent[] {
    return this.accepted()
      .flatMap((r) => r.body.events)
      .filter((e) => type === undefined || e.type === type);
  }

  async waitForEvents(n: number, type?: string, timeoutMs = 15_000): Promise<ReceivedEvent[]> {
    await waitFor(() => this.acceptedEvents(type).length >= n, { timeoutMs, what: `${n} ${type ?? ''} events (have ${this.acceptedEvents(type).length})` });
    return this.acceptedEvents(type);
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private handle(headers: IncomingHttpHeaders, raw: string, res: import('node:http').ServerResponse): void {
    const entry = { headers, raw, body: JSON.parse(raw) as ReceivedDelivery['body'], at: Date.now() };
    const nth = this.requests.filter((r) => r.body.id === entry.body.id).length + 1;
    const answer = this.respond(entry, nth);
    if (answer === 'hang') {
      this.requests.push({ ...entry, status: 0 });
      this.hanging.add(res);
      return;
    }
    this.requests.push({ ...entry, status: answer });
    res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'nope');
  }
}
