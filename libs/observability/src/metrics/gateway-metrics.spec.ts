import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeraldMetrics } from './herald-metrics.js';
import { GatewayMetrics } from './gateway-metrics.js';

/** One sample's value, whatever the order prom-client writes the labels in; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.keys(got).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

test('the facade moves the named series, every one labelled with the app', async () => {
  const registry = new HeraldMetrics('gateway');
  const m = new GatewayMetrics(registry);
  m.connectionOpened('ws');
  m.connectionOpened('ws');
  m.connectionClosed('ws');
  m.delivered('sse', 3, Date.now() - 20);
  m.delivered('sse', 0, Date.now());
  m.messageIn('poll');
  m.error('rate_limited');
  m.publishAccepted();
  const text = await registry.scrape();
  assert.match(registry.contentType, /^text\/plain; version=0\.0\.4/);
  const app = 'gateway';
  assert.equal(sample(text, 'herald_connections', { transport: 'ws', app }), 1);
  assert.equal(sample(text, 'herald_connections_total', { transport: 'ws', app }), 2);
  assert.equal(sample(text, 'herald_messages_out_total', { transport: 'sse', app }), 3);
  assert.equal(sample(text, 'herald_publish_to_deliver_seconds_count', { transport: 'sse', app }), 1);
  // 20 ms ago: above the 1 ms bucket, within the 25 ms one.
  assert.equal(sample(text, 'herald_publish_to_deliver_seconds_bucket', { le: '0.001', transport: 'sse', app }), 0);
  assert.equal(sample(text, 'herald_publish_to_deliver_seconds_bucket', { le: '5', transport: 'sse', app }), 1);
  assert.equal(sample(text, 'herald_messages_in_total', { source: 'poll', app }), 1);
  assert.equal(sample(text, 'herald_errors_total', { reason: 'rate_limited', app }), 1);
  assert.equal(sample(text, 'herald_publish_accepted_total', { app }), 1);
  assert.ok(sample(text, 'process_cpu_seconds_total', { app }) !== undefined);
});
