import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AppName } from '../observability-logger.js';

/** How a client is connected to a gateway. */
export type TransportName = 'ws' | 'sse' | 'poll' | 'pusher' | 'mqtt';
/** Where a published message entered Herald. */
export type MessageSource = 'rest' | TransportName;

/** 1 ms to 5 s: in-region delivery is milliseconds; seconds mean a backlog worth an alert. */
export const DELIVERY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The process's metric registry and its typed handles. One registry per process, not prom-client's
 * global one, so tests can build several and nothing registers twice. Every series carries `app`.
 */
export class HeraldMetrics {
  readonly registry = new Registry();
  readonly connections: Gauge<'transport'>;
  readonly connectionsTotal: Counter<'transport'>;
  readonly messagesIn: Counter<'source'>;
  readonly messagesOut: Counter<'transport'>;
  readonly publishToDeliver: Histogram<'transport'>;
  readonly errors: Counter<'reason'>;
  readonly publishAccepted: Counter;

  constructor(readonly app: AppName) {
    this.registry.setDefaultLabels({ app });
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.connections = new Gauge({ name: 'herald_connections', help: 'Open client connections', labelNames: ['transport'], registers });
    this.connectionsTotal = new Counter({ name: 'herald_connections_total', help: 'Client connections opened', labelNames: ['transport'], registers });
    this.messagesIn = new Counter({ name: 'herald_messages_in_total', help: 'Publish requests received, by source', labelNames: ['source'], registers });
    this.messagesOut = new Counter({ name: 'herald_messages_out_total', help: 'Messages written to clients', labelNames: ['transport'], registers });
    this.publishToDeliver = new Histogram({
      name: 'herald_publish_to_deliver_seconds',
      help: 'From a message being accepted to its delivery to a client (one sample per fan-out)',
      labelNames: ['transport'],
      buckets: DELIVERY_BUCKETS_SECONDS,
      registers,
    });
    this.errors = new Counter({ name: 'herald_errors_total', help: 'Errors, by stable reason code', labelNames: ['reason'], registers });
    this.publishAccepted = new Counter({ name: 'herald_publish_accepted_total', help: 'Publishes accepted (durably queued), duplicates included', registers });
  }

  /** The text exposition format, prom-client's `text/plain; version=0.0.4`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
