import { Injectable } from '@nestjs/common';
import { HeraldMetrics, type MessageSource, type TransportName } from './herald-metrics.js';

/**
 * What the session core, the API and the worker record, in their words; the metric names, labels and
 * units stay here. Every method is cheap and synchronous: safe on the delivery hot path.
 */
@Injectable()
export class GatewayMetrics {
  constructor(private readonly metrics: HeraldMetrics) {}

  connectionOpened(transport: TransportName): void {
    this.metrics.connections.inc({ transport });
    this.metrics.connectionsTotal.inc({ transport });
  }

  connectionClosed(transport: TransportName): void {
    this.metrics.connections.dec({ transport });
  }

  /**
   * `count` messages written to clients over `transport`. With `publishTimeMs` (the message's accept
   * time) one latency sample is recorded for the call, not one per recipient: a fan-out to 10,000
   * sessions is one delivery event, and the histogram stays a per-message view.
   */
  delivered(transport: TransportName, count: number, publishTimeMs?: number): void {
    if (count <= 0) return;
    this.metrics.messagesOut.inc({ transport }, count);
    if (publishTimeMs !== undefined) {
      // Accept time comes from another host's clock: skew must not produce negative latencies.
      this.metrics.publishToDeliver.observe({ transport }, Math.max(0, Date.now() - publishTimeMs) / 1000);
    }
  }

  messageIn(source: MessageSource): void {
    this.metrics.messagesIn.inc({ source });
  }

  /** A publish answered as accepted (the message is durably queued); idempotent replays included. */
  publishAccepted(): void {
    this.metrics.publishAccepted.inc();
  }

  /** `reason`: a stable code (libs/protocol reasons, or a fixed internal name); never free text. */
  error(reason: string): void {
    this.metrics.errors.inc({ reason });
  }
}
