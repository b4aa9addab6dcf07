// The order of a bench run: Herald first (S1–S3, S6, MQTT, S4, isolation, then S5, which kills a gateway),
// then the log-level arms, then Herald on one Redis and on a Redis Cluster (cluster), then each peer on
// its own (started, measured, stopped; mosquitto for MQTT), so no two targets hold connections at once.
// results[scenario][`${target}/${transport}`] = [run, …]; a failing scenario is recorded in `errors`
// and the run goes on.
import { idleRun } from './scenarios/s1-idle.mjs';
import { broadcastRun } from './scenarios/s2-broadcast.mjs';
import { latencyRun } from './scenarios/s3-latency.mjs';
import { durableRun } from './scenarios/s4-durable.mjs';
import { reconnectRun } from './scenarios/s5-reconnect.mjs';
import { isolationRun } from './scenarios/isolation.mjs';
import { logCostRun } from './scenarios/log-cost.mjs';
import { mqttRuns } from './scenarios/mqtt.mjs';
import { clusterRun } from './scenarios/cluster.mjs';
import { ensureMosquitto, startMosquitto } from './peers/mosquitto.mjs';
import { broadcast, openFor } from './scenarios/common.mjs';
import { startHerald, upsertBenchPlan } from './peers/herald.mjs';
import { startRawWs } from './peers/raw-ws.mjs';
import { startNchan, ensureNchan } from './peers/nchan.mjs';
import { startSocketIo } from './peers/socketio.mjs';
import { sleep } from './load/pace.mjs';

const fmt = (x) => (x == null ? '–' : x);
/** Herald's WebSocket and Pusher's protocol on it: S1–S3 transports (the others are S6's). */
const SOCKETS = new Set(['ws', 'pusher']);

export async function runAll(ctx) {
  const { config, step, note, warn } = ctx;
  const want = new Set(config.scenarios);
  const results = { s1: {}, s2: {}, s3: {}, s4: {}, s5: {}, iso: {}, logs: {}, webhooks: {}, mqtt: {}, cluster: {} };
  const errors = [];
  const skipped = {};
  const targets = {};
  const record = (scenario, key, value) => ((results[scenario][key] ??= []).push(value));
  const attempt = async (what, fn) => {
    try {
      return await fn();
    } catch (e) {
      warn(`${what} failed: ${e.message}`);
      errors.push({ what, error: String(e.stack ?? e).slice(0, 2000) });
      return undefined;
    }
  };

  /** S1 + S2 over one transport: R times, open N subscribers (memory), broadcast to them, close. */
  async function idleAndBroadcast(target, transport, n) {
    for (let r = 1; r <= config.runs; r++) {
      // S1 measures memory from fresh processes (a Node heap or nginx pool grown by the previous run would
      // hide the next run's growth), each after an unmeasured warm-up: code paths, pools and heaps that
      // the first connections would otherwise pay for.
      if (want.has('s1')) await target.restart();
      const wchannel = `w-${ctx.tag}-${target.name}-${transport}-${r}`;
      const warm = await openFor(target, transport, Math.min(n, 1000), wchannel);
      await broadcast(ctx, target, warm, { channel: wchannel, count: 5, window: config.s2.window, bytes: config.bytes });
      await warm.close();
      await sleep(1000);
      const channel = `b-${ctx.tag}-${target.name}-${transport}-${r}`;
      step(`${target.label} ${transport} run ${r}/${config.runs}: ${n} subscribers${want.has('s2') || want.has('s6') ? `, then ${Math.ceil(config.s2.deliveries / config.s1.subscribers)} messages closed loop (window ${config.s2.window})` : ''}`);
      const { result, subs } = await idleRun(ctx, target, transport, { n, channel });
      try {
        note(`S1 ${target.label} ${transport}: ${fmt(result.bytesPerConnection)} B/connection (+ Redis ${fmt(result.redisBytesPerConnection)}), connected in ${result.connectSeconds} s`);
        record('s1', `${target.name}/${transport}`, result);
        if (want.has('s2') || (!SOCKETS.has(transport) && want.has('s6'))) {
          await broadcast(ctx, target, subs, { channel, count: 5, window: config.s2.window, bytes: config.bytes }); // warm-up
          const b = await broadcastRun(ctx, target, subs, { channel, deliveries: config.s2.deliveries, fullN: config.s1.subscribers, window: config.s2.window, bytes: config.bytes });
          note(`S2 ${target.label} ${transport}: ${b.deliveries} deliveries, ${fmt(b.deliveriesPerCpuSecond)}/CPU-s (servers ${b.cpu.servers} + Redis ${b.cpu.redis} + PG ${b.cpu.postgres} CPU-s), p50/p99 ${b.latencyMs.p50}/${b.latencyMs.p99} ms, gaps ${b.gaps}, dups ${b.duplicates}`);
          record('s2', `${target.name}/${transport}`, b);
        }
      } finally {
        await subs.close();
      }
      await sleep(1000);
    }
  }

  /** S3 over one transport: M subscribers, R runs of the fixed-rate publish. */
  async function latencyRuns(target, transport, m) {
    const channel = `l-${ctx.tag}-${target.name}-${transport}`;
    step(`${target.label} ${transport} S3: ${m} subscribers, ${config.s3.rate} msg/s for ${config.s3.seconds} s × ${config.runs}`);
    const subs = await openFor(target, transport, m, channel);
    try {
      await broadcast(ctx, target, subs, { channel, count: Math.round(config.s3.rate * 2), rate: config.s3.rate, bytes: config.bytes }); // warm-up
      for (let r = 1; r <= config.runs; r++) {
        const res = await latencyRun(ctx, target, subs, { channel, rate: config.s3.rate, seconds: config.s3.seconds, bytes: config.bytes });
        note(`S3 ${target.label} ${transport} run ${r}: p50 ${res.latencyMs.p50} p99 ${res.latencyMs.p99} p99.9 ${res.latencyMs.p999} ms, ${res.deliveries}/${res.expected} delivered, dups ${res.duplicates}`);
        record('s3', `${target.name}/${transport}`, res);
      }
    } finally {
      await subs.close();
    }
  }

  /** The MQTT scenario for Herald or mosquitto: results.mqtt[`${target}/s1|s2|s3`]. */
  async function mqtt(target) {
    const c = config.mqtt;
    const runs = { n: c.subscribers, m: c.latencySubscribers, runs: config.runs, window: config.s2.window, deliveries: c.deliveries, rate: config.s3.rate, seconds: config.s3.seconds, bytes: config.bytes };
    await attempt(`${target.label} MQTT`, () => mqttRuns(ctx, target, runs, (s, value) => record('mqtt', `${target.name}/${s}`, value), { step, note }));
  }

  /** S1–S3 (ws) and S6 (sse, poll) for a target, as selected. */
  async function fanout(target) {
    const transports = [];
    if (want.has('s1') || want.has('s2') || want.has('s3')) transports.push('ws');
    // Herald over Pusher's protocol: S1–S3 next to its own WebSocket (issue 15), when s1–s3 run.
    if (transports.includes('ws') && target.transports.includes('pusher')) transports.push('pusher');
    if (want.has('s6')) transports.push(...target.transports.filter((t) => t !== 'ws' && t !== 'pusher'));
    for (const transport of transports) {
      const poll = transport === 'poll';
      const n = poll ? Math.min(config.s1.subscribers, config.s6.pollSubscribers) : config.s1.subscribers;
      const m = poll ? Math.min(config.s3.subscribers, config.s6.pollSubscribers) : config.s3.subscribers;
      const socket = SOCKETS.has(transport);
      const s12 = socket ? want.has('s1') || want.has('s2') : true;
      const s3 = socket ? want.has('s3') : true;
      if (s12) await attempt(`${target.label} ${transport} S1/S2`, () => idleAndBroadcast(target, transport, n));
      if (s3) await attempt(`${target.label} ${transport} S3`, () => latencyRuns(target, transport, m));
    }
  }

  // --- Herald -------------------------------------------------------------------------------------
  await upsertBenchPlan(ctx.pg);
  // Herald's own defaults (log level included): only where its stores are.
  const heraldEnv = { DATABASE_URL: ctx.databaseUrl, REDIS_URL: ctx.redisUrl };
  const heraldNeeded = ['s1', 's2', 's3', 's4', 's5', 's6', 'iso', 'mqtt'].some((s) => want.has(s));
  if (heraldNeeded) {
    step('Starting Herald: API + 2 gateways + 1 worker (real processes, production timings)');
    const herald = await startHerald({ testing: ctx.testing, env: heraldEnv, pg: ctx.pg });
    targets.herald = { label: 'Herald', processes: Object.keys(herald.pids()), prefix: herald.stack.prefix };
    note(`api ${herald.stack.apiUrl}, gateways ${herald.stack.gateways.map((g) => g.url).join(', ')}, Redis prefix ${herald.stack.prefix}`);
    try {
      await fanout(herald);
      if (want.has('mqtt')) await mqtt(herald);
      if (want.has('s4')) {
        step(`Herald S4: ${config.s4.channels} channels × 1 subscriber, single ${config.s4.rates.join('/')}/s, batch (${config.s4.batchSize}) ${config.s4.batchRates.join('/')}/s, ${config.s4.seconds} s per step`);
        const r = await attempt('Herald S4', () => durableRun(ctx, herald, { ...config.s4, tag: ctx.tag }));
        if (r) results.s4['herald/ws'] = [r];
      }
      if (want.has('iso')) {
        const limitA = Number((await ctx.pg.query('SELECT "maxPublishesPerSecond" FROM "Plan" WHERE id = $1', [config.iso.planA])).rows[0]?.maxPublishesPerSecond);
        if (!limitA) {
          warn(`isolation: plan ${config.iso.planA} not found; skipped`);
          skipped.iso = `plan ${config.iso.planA} not found`;
        } else {
          step(`Herald isolation: tenant B ${config.iso.rateB} msg/s to ${config.iso.subscribersB} subscribers, alone and while tenant A (${config.iso.planA}, ${limitA}/s) floods at ${limitA * 10}/s`);
          const r = await attempt('Herald isolation', () => isolationRun(ctx, herald, { ...config.iso, limitA, tag: ctx.tag, runs: config.runs }));
          if (r) results.iso['herald/ws'] = [r];
        }
      }
      if (want.has('s5')) {
        step(`Herald S5: ${config.s5.clients} clients on gateway 1 over ${config.s5.channels} channels, ${config.s5.rate} msg/s, gateway 1 SIGKILLed`);
        const r = await attempt('Herald S5', () => reconnectRun(ctx, herald, { n: config.s5.clients, channels: config.s5.channels, rate: config.s5.rate, tag: ctx.tag }));
        if (r) {
          note(`S5: ${r.caughtUp}/${r.clients} caught up in ${fmt(r.recoverySeconds)} s, gaps ${r.gaps}, dups ${r.duplicates}, not recovered ${r.notRecovered}`);
          results.s5['herald/ws'] = [r];
        }
      }
    } finally {
      const died = herald.exited().filter((a) => !(want.has('s5') && a === herald.stack.gateways[0]));
      if (died.length) errors.push({ what: 'Herald processes exited during the run', error: died.map((a) => `${a.name}: ${a.proc.exitCode ?? a.proc.signalCode}\n${a.output().slice(-1500)}`).join('\n') });
      await herald.stop();
    }
  }

  // --- The log level's cost (Herald afresh per arm) --------------------------------------------------
  if (want.has('logs')) {
    const c = config.logs;
    step(`Herald log level: ${c.rate} single publishes/s for ${c.seconds} s over ${c.channels} channels, default level and debug, ${config.runs} runs each`);
    const start = (env) => startHerald({ testing: ctx.testing, env: { ...heraldEnv, ...env }, pg: ctx.pg, gateways: 1 });
    const r = await attempt('Herald log level', () => logCostRun(ctx, start, { ...c, runs: config.runs, tag: ctx.tag }));
    if (r) results.logs['herald/ws'] = [r];
  }

  // --- One Redis against a Redis Cluster (Herald afresh on each; only when named) ---------------------
  if (want.has('cluster')) {
    const c = config.cluster;
    step(`Herald on one Redis, then on a ${c.masters}-master Redis Cluster (1 replica each): S3 and S4 on each`);
    const start = (env) => startHerald({ testing: ctx.testing, env: { ...heraldEnv, ...env }, pg: ctx.pg });
    const r = await attempt('Herald cluster', () => clusterRun(ctx, start, { masters: c.masters, s3: config.s3, s4: config.s4, runs: config.runs, bytes: config.bytes, tag: ctx.tag }));
    if (r) results.cluster['herald/ws'] = [r];
  }

  // --- Peers --------------------------------------------------------------------------------------
  // What each peer is measured on: the fan-out scenarios, and Nchan+Redis (Nchan storing every message in
  // Redis) as the durable peer for latency and the durable pipeline.
  const PEER_SCENARIOS = { 'raw-ws': ['s1', 's2', 's3'], socketio: ['s1', 's2', 's3'], nchan: ['s1', 's2', 's3', 's6'], 'nchan-redis': ['s3', 's4'] };
  for (const name of config.peers) {
    if (!PEER_SCENARIOS[name].some((s) => want.has(s))) continue;
    let target;
    try {
      if (name === 'raw-ws') target = await startRawWs();
      else if (name === 'socketio') target = await startSocketIo({ redisUrl: ctx.redisUrl });
      else {
        const why = ensureNchan((m) => note(m));
        if (why) throw new Error(why);
        const messages = Math.max(config.s3.rate * config.s3.seconds * (config.runs + 1), Math.ceil(config.s2.deliveries / config.s6.pollSubscribers) + 10, 100);
        target = await startNchan({ bufferLength: Math.ceil(messages), redisUrl: name === 'nchan-redis' ? ctx.redisUrl : undefined });
      }
    } catch (e) {
      warn(`${name} skipped: ${e.message}`);
      skipped[name] = e.message.slice(0, 500);
      continue;
    }
    step(`Peer ${target.label} started (${Object.keys(target.pids()).join(', ')})`);
    targets[name] = { label: target.label, processes: Object.keys(target.pids()) };
    try {
      if (name !== 'nchan-redis') await fanout(target);
      else {
        if (want.has('s3')) await attempt(`${target.label} S3`, () => latencyRuns(target, 'ws', config.s3.subscribers));
        if (want.has('s4')) {
          step(`${target.label} S4: ${config.s4.channels} channels × 1 subscriber, single ${config.s4.rates.join('/')}/s, ${config.s4.seconds} s per step`);
          const r = await attempt(`${target.label} S4`, () => durableRun(ctx, target, { ...config.s4, tag: ctx.tag }));
          if (r) results.s4[`${name}/ws`] = [r];
        }
      }
    } finally {
      await target.stop();
    }
  }

  // --- mosquitto (MQTT) ------------------------------------------------------------------------------
  if (want.has('mqtt')) {
    let target;
    try {
      const why = ensureMosquitto((m) => note(m));
      if (why) throw new Error(why);
      target = await startMosquitto();
    } catch (e) {
      warn(`mosquitto skipped: ${e.message}`);
      skipped.mosquitto = e.message.slice(0, 500);
    }
    if (target) {
      step(`Peer ${target.label} started (${Object.keys(target.pids()).join(', ')})`);
      targets.mosquitto = { label: target.label, processes: Object.keys(target.pids()) };
      try {
        await mqtt(target);
      } finally {
        await target.stop();
      }
    }
  }

  // --- Webhooks (only when named) ------------------------------------------------------------------
  if (want.has('webhooks')) {
    const { webhookBench } = await import('./webhooks.mjs');
    const r = await attempt('webhooks', () =>
      webhookBench({ testing: ctx.testing, lib: ctx.lib, env: heraldEnv, timings: 'defaults', runs: config.runs, step, note }),
    );
    if (r) results.webhooks['herald/http'] = r;
  }
  return { targets, skipped, errors, results };
}
