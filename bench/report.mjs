// Medians, Herald ÷ peer ratios, target checks and the docs/benchmarks.md text for scripts/bench.mjs.
import { median } from './lib.mjs';

const LABEL = { herald: 'Herald', 'raw-ws': 'raw ws', nchan: 'Nchan', socketio: 'Socket.IO', 'nchan-redis': 'Nchan+Redis', mosquitto: 'mosquitto' };
const TRANSPORT = { ws: 'WebSocket', sse: 'SSE', poll: 'long-polling' };
const PEER_ORDER = ['raw-ws', 'nchan', 'socketio', 'nchan-redis', 'mosquitto'];
const round = (x, d = 1) => (x == null || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);
const med = (runs, get) => median((runs ?? []).map(get));
const sum = (runs, get) => (runs ?? []).reduce((t, r) => t + (get(r) ?? 0), 0);
const fmt = (x, d = 1) => (x == null ? '–' : typeof x === 'number' ? round(x, d).toLocaleString('en-US') : String(x));
const kb = (b) => (b == null ? '–' : `${fmt(b / 1024, 2)} KB`);

function fanoutSummary(results) {
  const out = { s1: {}, s2: {}, s3: {} };
  // S1: RSS moves with garbage collection and heap reuse from the previous run, so single runs are
  // noisy (even negative); the median of the runs is what counts (every run is in benchmarks.json).
  for (const [key, runs] of Object.entries(results.s1 ?? {})) {
    out.s1[key] = {
      runs: runs.length,
      subscribers: med(runs, (r) => r.subscribers),
      bytes: med(runs, (r) => r.bytesPerConnection),
      redisBytes: med(runs, (r) => r.redisBytesPerConnection),
      totalBytes: med(runs, (r) => r.totalBytesPerConnection),
      connectSeconds: med(runs, (r) => r.connectSeconds),
    };
  }
  for (const [key, runs] of Object.entries(results.s2 ?? {}))
    out.s2[key] = {
      runs: runs.length,
      subscribers: med(runs, (r) => r.subscribers),
      deliveries: med(runs, (r) => r.deliveries),
      perCpuSecond: med(runs, (r) => r.deliveriesPerCpuSecond),
      perServerCpuSecond: med(runs, (r) => r.deliveriesPerServerCpuSecond),
      closedLoop: runs.every((r) => r.window != null),
      cpuTotal: med(runs, (r) => r.cpu.total),
      cpuRedis: med(runs, (r) => r.cpu.redis),
      cpuPostgres: med(runs, (r) => r.cpu.postgres),
      seconds: med(runs, (r) => r.seconds),
      p50: med(runs, (r) => r.latencyMs.p50),
      p99: med(runs, (r) => r.latencyMs.p99),
      gaps: sum(runs, (r) => r.gaps),
      duplicates: sum(runs, (r) => r.duplicates),
      outOfOrder: sum(runs, (r) => r.outOfOrder),
    };
  for (const [key, runs] of Object.entries(results.s3 ?? {}))
    out.s3[key] = {
      runs: runs.length,
      subscribers: med(runs, (r) => r.subscribers),
      achievedRate: med(runs, (r) => r.achievedRate),
      p50: med(runs, (r) => r.latencyMs.p50),
      p99: med(runs, (r) => r.latencyMs.p99),
      p999: med(runs, (r) => r.latencyMs.p999),
      max: med(runs, (r) => r.latencyMs.max),
      cpuTotal: med(runs, (r) => r.cpu.total),
      gaps: sum(runs, (r) => r.gaps),
      duplicates: sum(runs, (r) => r.duplicates),
      deliveries: sum(runs, (r) => r.deliveries),
      expected: sum(runs, (r) => r.expected),
    };
  return out;
}

/** Herald ÷ peer for a figure (null when either is missing). */
const ratio = (h, p) => (h == null || p == null || p === 0 ? null : round(h / p, 2));

/**
 * A peer whose median latency reached this fell behind its load: its CPU per delivery is inflated (it
 * batches what it could not send in time), so it is no fair denominator and the row gets no verdict.
 */
export const SATURATED_P50_MS = 100;
// Closed-loop rows (S2 from 2026-12-07) pace themselves by their deliveries: no target can fall behind.
const saturated = (x) => !x?.closedLoop && x?.p50 != null && x.p50 >= SATURATED_P50_MS;
const NO_VERDICT = 'no-verdict';

function checks(s) {
  const list = [];
  const add = (scenario, target, measured, met) => list.push({ scenario, target, measured, met });
  /** A comparison with peers: no verdict when one of them was saturated, whatever the figures say. */
  const versus = (scenario, target, measured, met, peers) => {
    const behind = peers.filter(([, x]) => saturated(x));
    if (met == null || behind.length === 0) return add(scenario, target, measured, met);
    add(scenario, target, `${measured}; ${behind.map(([name, x]) => `${name} p50 ${fmt(x.p50, 0)} ms`).join(', ')}`, NO_VERDICT);
  };
  const g = (sec, t, tr) => s[sec]?.[`${t}/${tr}`];
  // S1
  const h1 = g('s1', 'herald', 'ws');
  add('S1', 'memory per connection ≤ 8 KB', h1 ? kb(h1.totalBytes) : 'not measured', h1 ? h1.totalBytes <= 8192 : null);
  const n1 = g('s1', 'nchan', 'ws');
  add('S1', 'below Nchan', h1 && n1 ? `${kb(h1.totalBytes)} vs ${kb(n1.totalBytes)} (${ratio(h1.totalBytes, n1.totalBytes)}×)` : 'not measured', h1 && n1 ? h1.totalBytes < n1.totalBytes : null);
  const r1 = g('s1', 'raw-ws', 'ws');
  add('S1', '≤ 1.0× raw ws (issue 14)', h1 && r1 ? `${kb(h1.totalBytes)} vs ${kb(r1.totalBytes)} (${ratio(h1.totalBytes, r1.totalBytes)}×)` : 'not measured', h1 && r1 ? h1.totalBytes <= r1.totalBytes : null);
  const o1 = g('s1', 'socketio', 'ws');
  add('S1', 'below half of Socket.IO', h1 && o1 ? `${kb(h1.totalBytes)} vs ${kb(o1.totalBytes)} (${ratio(h1.totalBytes, o1.totalBytes)}×)` : 'not measured', h1 && o1 ? h1.totalBytes < o1.totalBytes / 2 : null);
  // S2
  const h2 = g('s2', 'herald', 'ws');
  for (const [peer, want] of [['nchan', 1.0], ['raw-ws', 0.9], ['socketio', 2.0]]) {
    const p = g('s2', peer, 'ws');
    const r = ratio(h2?.perCpuSecond, p?.perCpuSecond);
    versus('S2', `deliveries per CPU-second ≥ ${want}× ${LABEL[peer]}`, r == null ? 'not measured' : `${fmt(h2.perCpuSecond, 0)} vs ${fmt(p.perCpuSecond, 0)} (${r}×)`, r == null ? null : r >= want, [[LABEL[peer], p]]);
  }
  // S3
  const h3 = g('s3', 'herald', 'ws');
  const n3 = g('s3', 'nchan', 'ws');
  versus('S3', 'p99 ≤ Nchan p99', h3 && n3 ? `${fmt(h3.p99, 2)} ms vs ${fmt(n3.p99, 2)} ms (${ratio(h3.p99, n3.p99)}×)` : 'not measured', h3 && n3 ? h3.p99 <= n3.p99 : null, [['Nchan', n3]]);
  const d3 = g('s3', 'nchan-redis', 'ws');
  versus('S3', 'p99 ≤ 0.8× Nchan+Redis p99 (both durable)', h3 && d3 ? `${fmt(h3.p99, 2)} ms vs ${fmt(d3.p99, 2)} ms (${ratio(h3.p99, d3.p99)}×)` : 'not measured', h3 && d3 ? h3.p99 <= 0.8 * d3.p99 : null, [['Nchan+Redis', d3]]);
  // S4
  const s4 = s.s4;
  const bb = s4?.bestBatch;
  add('S4', 'batched: CPU per message ≤ 0.1 ms at the best rate within p99 50 ms (issue 14)', bb ? `${fmt(bb.cpuPer1kPublishes.total, 3)} ms at ${fmt(bb.achievedRate, 0)}/s` : 'not measured', bb ? bb.cpuPer1kPublishes.total <= 0.1 : null);
  add('S4', 'batched: ≥ 5,000 durable publishes/s on this machine, p99 ≤ 50 ms (issue 14)', bb ? `${fmt(bb.achievedRate, 0)}/s (p99 ${fmt(bb.latencyMs.p99, 1)} ms)` : 'not measured', bb ? bb.achievedRate >= 5000 * 0.95 && bb.targetRate >= 5000 : null);
  add('S4', '≥ 10,000 durable publishes/s batched, p99 ≤ 50 ms', s4 ? `${fmt(s4.bestBatch?.achievedRate ?? 0, 0)}/s (p99 ${fmt(s4.bestBatch?.latencyMs.p99, 1)} ms)` : 'not measured', s4 ? (s4.bestBatch?.achievedRate ?? 0) >= 10_000 * 0.95 && s4.bestBatch.targetRate >= 10_000 : null);
  // CPU per single durable publish at 1,000/s: Herald's own target, and against Nchan+Redis at the same step.
  const h1k = s4?.at1000;
  const d1k = s.s4Peer?.at1000;
  add('S4', 'CPU per single durable publish at 1,000/s ≤ 0.35 ms', h1k ? `${fmt(h1k.cpuPer1kPublishes.total, 3)} ms` : 'not measured', h1k ? h1k.cpuPer1kPublishes.total <= 0.35 : null);
  add('S4', 'CPU per single durable publish at 1,000/s ≤ Nchan+Redis', h1k && d1k ? `${fmt(h1k.cpuPer1kPublishes.total, 3)} ms vs ${fmt(d1k.cpuPer1kPublishes.total, 3)} ms (${ratio(h1k.cpuPer1kPublishes.total, d1k.cpuPer1kPublishes.total)}×)` : 'not measured', h1k && d1k ? (d1k.ok ? h1k.cpuPer1kPublishes.total <= d1k.cpuPer1kPublishes.total : NO_VERDICT) : null);
  add('S4', '≥ 5,000 durable publishes/s single, p99 ≤ 50 ms', s4 ? `${fmt(s4.bestSingle?.achievedRate ?? 0, 0)}/s (p99 ${fmt(s4.bestSingle?.latencyMs.p99, 1)} ms)` : 'not measured', s4 ? (s4.bestSingle?.targetRate ?? 0) >= 5000 : null);
  // S5
  const s5 = s.s5;
  add('S5', 'every client resumed and caught up ≤ 5 s, 0 gaps, 0 duplicates', s5 ? `${s5.caughtUp}/${s5.clients} in ${fmt(s5.recoverySeconds, 2)} s, gaps ${s5.gaps}, dups ${s5.duplicates}` : 'not measured', s5 ? s5.caughtUp === s5.clients && s5.recoverySeconds != null && s5.recoverySeconds <= 5 && s5.gaps === 0 && s5.duplicates === 0 : null);
  // S6
  const hs = g('s2', 'herald', 'sse');
  const ns = g('s2', 'nchan', 'sse');
  versus('S6', 'SSE deliveries per CPU-second ≥ 1.0× Nchan SSE', hs && ns ? `${fmt(hs.perCpuSecond, 0)} vs ${fmt(ns.perCpuSecond, 0)} (${ratio(hs.perCpuSecond, ns.perCpuSecond)}×)` : 'not measured', hs && ns ? ratio(hs.perCpuSecond, ns.perCpuSecond) >= 1 : null, [['Nchan SSE', ns]]);
  const hs3 = g('s3', 'herald', 'sse');
  const ns3 = g('s3', 'nchan', 'sse');
  versus('S6', 'SSE p99 ≤ 1.0× Nchan SSE (issue 14)', hs3 && ns3 ? `${fmt(hs3.p99, 2)} ms vs ${fmt(ns3.p99, 2)} ms (${ratio(hs3.p99, ns3.p99)}×)` : 'not measured', hs3 && ns3 ? hs3.p99 <= ns3.p99 : null, [['Nchan SSE', ns3]]);
  const hp = g('s2', 'herald', 'poll');
  const np = g('s2', 'nchan', 'poll');
  versus('S6', 'long-poll deliveries per CPU-second ≥ 1.5× Nchan', hp && np ? `${fmt(hp.perCpuSecond, 0)} vs ${fmt(np.perCpuSecond, 0)} (${ratio(hp.perCpuSecond, np.perCpuSecond)}×)` : 'not measured', hp && np ? ratio(hp.perCpuSecond, np.perCpuSecond) >= 1.5 : null, [['Nchan long-poll', np]]);
  const hp3 = g('s3', 'herald', 'poll');
  const np3 = g('s3', 'nchan', 'poll');
  versus('S6', 'long-poll p99 ≤ half of Nchan', hp3 && np3 ? `${fmt(hp3.p99, 2)} ms vs ${fmt(np3.p99, 2)} ms (${ratio(hp3.p99, np3.p99)}×)` : 'not measured', hp3 && np3 ? hp3.p99 <= np3.p99 / 2 : null, [['Nchan long-poll', np3]]);
  // Pusher's protocol against Herald's own, both Herald (issue 15): no peer, so no saturation rule.
  const hpu = g('s2', 'herald', 'pusher');
  const rpu = ratio(hpu?.perCpuSecond, h2?.perCpuSecond);
  add('Pusher', "S2 over Pusher's protocol ≥ 0.9× Herald's own deliveries per CPU-second", rpu == null ? 'not measured' : `${fmt(hpu.perCpuSecond, 0)} vs ${fmt(h2.perCpuSecond, 0)} (${rpu}×)`, rpu == null ? null : rpu >= 0.9);
  // npm start's defaults (the logs scenario's default-level arm): one channel per publish, one subscriber each.
  const dl = s.logs?.per?.info;
  add('Defaults', `single durable publishes at ${fmt(s.logs?.rate ?? 0, 0)}/s over ${s.logs?.channels ?? '–'} channels, npm start's defaults: CPU per publish ≤ 0.5 ms (issue 14)`, dl ? `${fmt(dl.total, 3)} ms` : 'not measured', dl ? dl.total <= 0.5 : null);
  // MQTT (issue 17): Herald's gateways against mosquitto, total memory (Redis included) and CPU.
  const hm1 = s.mqtt?.s1['herald/mqtt'];
  const mm1 = s.mqtt?.s1['mosquitto/mqtt'];
  const rm1 = ratio(hm1?.totalBytes, mm1?.totalBytes);
  add('MQTT', 'memory per connection ≤ 1.5× mosquitto', rm1 == null ? 'not measured' : `${kb(hm1.totalBytes)} vs ${kb(mm1.totalBytes)} (${rm1}×)`, rm1 == null ? null : rm1 <= 1.5);
  const hm2 = s.mqtt?.s2['herald/mqtt'];
  const mm2 = s.mqtt?.s2['mosquitto/mqtt'];
  const rm2 = ratio(hm2?.perCpuSecond, mm2?.perCpuSecond);
  versus('MQTT', 'QoS 0 deliveries per CPU-second ≥ 0.5× mosquitto', rm2 == null ? 'not measured' : `${fmt(hm2.perCpuSecond, 0)} vs ${fmt(mm2.perCpuSecond, 0)} (${rm2}×)`, rm2 == null ? null : rm2 >= 0.5, [['mosquitto', mm2]]);
  // Isolation
  const iso = s.iso;
  add('Isolation', "tenant B's p99 under A's flood within +20 % of B alone", iso ? `${fmt(iso.floodedP99, 2)} ms vs ${fmt(iso.aloneP99, 2)} ms alone (${iso.ratio}×)` : 'not measured', iso ? iso.ratio <= 1.2 : null);
  return list;
}

/** Per log level: medians of CPU-ms per publish (API and total) and latency; debug's extra over the default. */
function logLevelSummary(logs) {
  const levels = [...new Set(logs.arms.map((a) => a.level))];
  const per = Object.fromEntries(
    levels.map((level) => {
      const arms = logs.arms.filter((a) => a.level === level);
      return [level, { runs: arms.length, api: med(arms, (a) => a.cpuPer1kPublishes.api), total: med(arms, (a) => a.cpuPer1kPublishes.total), p50: med(arms, (a) => a.latencyMs.p50), p99: med(arms, (a) => a.latencyMs.p99), achieved: med(arms, (a) => a.achievedRate), lost: sum(arms, (a) => a.accepted - a.delivered) }];
    }),
  );
  const extra = per.debug && per.info ? { api: round(per.debug.api - per.info.api, 3), total: round(per.debug.total - per.info.total, 3), ratio: ratio(per.debug.total, per.info.total) } : null;
  return { ...logs, arms: undefined, per, debugExtra: extra };
}

/**
 * CPU-ms per publish of one S4 step, split: Herald's processes (API, gateways, worker), Redis masters (the
 * one Redis, or `redis-master-k`), replicas (`redis-replica-k`), Postgres; `compared` = Herald + masters +
 * Postgres (what both arms pay), `total` adds the replicas.
 */
export function clusterCpu(step) {
  const p = step.cpuPer1kPublishes;
  let herald = 0;
  let masters = 0;
  let replicas = 0;
  for (const [k, v] of Object.entries(p)) {
    if (k === 'total' || k === 'postgres') continue;
    if (k.startsWith('redis-replica')) replicas += v;
    else if (k === 'redis' || k.startsWith('redis-')) masters += v;
    else herald += v;
  }
  const r = (x) => round(x, 3);
  return { herald: r(herald), masters: r(masters), replicas: r(replicas), postgres: r(p.postgres), compared: r(herald + masters + p.postgres), total: r(p.total) };
}

/**
 * The cluster scenario: per arm (`one`, `cluster`) S3's medians and whether it kept up, S4's best rates;
 * per S4 step both arms took, CPU per publish and cluster ÷ one Redis when both held the step (a step one
 * of them failed is that side saturated: no ratio).
 */
function clusterSummary(run) {
  const arms = {};
  for (const name of ['one', 'cluster']) {
    const a = run[name];
    if (!a) continue;
    const s3 = a.s3 ?? [];
    const p50 = med(s3, (x) => x.latencyMs.p50);
    const gaps = sum(s3, (x) => x.gaps);
    const messages = sum(s3, (x) => x.accepted);
    const replicasOf = (x) => Object.entries(x.cpu.perProcess ?? {}).reduce((t, [k, v]) => t + (k.startsWith('redis-replica') ? v : 0), 0);
    const perMessage = (f) => (messages ? round((sum(s3, f) / messages) * 1000, 3) : null);
    arms[name] = {
      redis: a.redis,
      loadavg: a.loadavg ?? null,
      s3: {
        runs: s3.length,
        subscribers: med(s3, (x) => x.subscribers),
        rate: med(s3, (x) => x.targetRate),
        p50,
        p99: med(s3, (x) => x.latencyMs.p99),
        p999: med(s3, (x) => x.latencyMs.p999),
        deliveries: sum(s3, (x) => x.deliveries),
        expected: sum(s3, (x) => x.expected),
        gaps,
        duplicates: sum(s3, (x) => x.duplicates),
        // CPU-ms per message (each delivered to every subscriber) over all runs: Herald + Redis masters +
        // Postgres (`compared`, as S4's), of which the masters; the replicas apart.
        cpuMsPerMessage: perMessage((x) => x.cpu.total - replicasOf(x)),
        redisMsPerMessage: perMessage((x) => x.cpu.redis - replicasOf(x)),
        replicaMsPerMessage: perMessage(replicasOf),
        keptUp: s3.length > 0 && p50 != null && p50 < SATURATED_P50_MS && gaps === 0,
      },
      bestSingle: a.s4?.bestSingle ? { rate: a.s4.bestSingle.achievedRate, p99: a.s4.bestSingle.latencyMs.p99 } : null,
      bestBatch: a.s4?.bestBatch ? { rate: a.s4.bestBatch.achievedRate, p99: a.s4.bestBatch.latencyMs.p99 } : null,
    };
  }
  const steps = [];
  for (const mode of ['single', 'batch']) {
    const one = run.one?.s4?.[mode] ?? [];
    const cl = run.cluster?.s4?.[mode] ?? [];
    for (const a of one) {
      const b = cl.find((x) => x.targetRate === a.targetRate);
      if (!b) continue;
      const ca = clusterCpu(a);
      const cb = clusterCpu(b);
      steps.push({
        mode,
        rate: a.targetRate,
        one: { ok: a.ok, reasons: a.reasons, achieved: a.achievedRate, p99: a.latencyMs.p99, cpu: ca },
        cluster: { ok: b.ok, reasons: b.reasons, achieved: b.achievedRate, p99: b.latencyMs.p99, cpu: cb },
        ratio: a.ok && b.ok ? ratio(cb.compared, ca.compared) : null,
      });
    }
  }
  // The headline per mode: the highest rate both held.
  const headline = Object.fromEntries(['single', 'batch'].map((mode) => [mode, steps.filter((x) => x.mode === mode && x.ratio != null).at(-1) ?? null]));
  const o = arms.one?.s3;
  const c = arms.cluster?.s3;
  const s3Ratio = o?.keptUp && c?.keptUp ? { p99: ratio(c.p99, o.p99), cpu: ratio(c.cpuMsPerMessage, o.cpuMsPerMessage) } : null;
  return { masters: run.cluster?.redis?.masters ?? null, arms, steps, headline, s3Ratio };
}

export function aggregate(report) {
  const r = report.results;
  const s = fanoutSummary(r);
  // The single-publish step at 1,000/s, where CPU per publish is compared (it held, or it is no figure).
  const at1000 = (run) => run?.single.find((st) => st.targetRate === 1000 && st.ok) ?? null;
  const s4 = r.s4?.['herald/ws']?.[0];
  if (s4) s.s4 = { ...s4, single: undefined, batch: undefined, at1000: at1000(s4) };
  const s4Peer = r.s4?.['nchan-redis/ws']?.[0];
  if (s4Peer) s.s4Peer = { ...s4Peer, single: undefined, batch: undefined, at1000: at1000(s4Peer) ?? s4Peer.single.find((st) => st.targetRate === 1000) ?? null };
  const s5 = r.s5?.['herald/ws']?.[0];
  if (s5) s.s5 = s5;
  const iso = r.iso?.['herald/ws']?.[0];
  if (iso) {
    const aloneP99 = med(iso.alone, (x) => x.latencyMs.p99);
    const floodedP99 = med(iso.flooded, (x) => x.latencyMs.p99);
    s.iso = { aloneP99, floodedP99, aloneP50: med(iso.alone, (x) => x.latencyMs.p50), floodedP50: med(iso.flooded, (x) => x.latencyMs.p50), ratio: ratio(floodedP99, aloneP99) };
  }
  const logs = r.logs?.['herald/ws']?.[0];
  if (logs) s.logs = logLevelSummary(logs);
  const cluster = r.cluster?.['herald/ws']?.[0];
  if (cluster) s.cluster = clusterSummary(cluster);
  // MQTT: results.mqtt[`${target}/s1|s2|s3`], summarised like S1–S3 under `${target}/mqtt`.
  if (r.mqtt && Object.keys(r.mqtt).length) {
    const split = { s1: {}, s2: {}, s3: {} };
    for (const [key, runs] of Object.entries(r.mqtt)) {
      const [target, sc] = key.split('/');
      if (split[sc]) split[sc][`${target}/mqtt`] = runs;
    }
    s.mqtt = fanoutSummary(split);
  }
  s.checks = checks(s);
  return s;
}

/** The cluster scenario in a few sentences: what the summary prints and the report's section opens with. */
function clusterLines(cl) {
  if (!cl) return [];
  const out = [];
  for (const mode of ['single', 'batch']) {
    const h = cl.headline[mode];
    const label = mode === 'single' ? 'single durable publish' : 'batched publish';
    if (h) out.push(`CPU per ${label} at ${fmt(h.rate, 0)}/s (the highest rate both kept up): one Redis ${fmt(h.one.cpu.compared, 3)} ms, cluster ${fmt(h.cluster.cpu.compared, 3)} ms (+ replicas ${fmt(h.cluster.cpu.replicas, 3)} ms): cluster ÷ one Redis ${h.ratio}×`);
    else out.push(`CPU per ${label}: no rate both kept up, no ratio`);
  }
  const o = cl.arms.one?.s3;
  const c = cl.arms.cluster?.s3;
  const side = (name, x) => (x ? `${name} p50/p99 ${fmt(x.p50, 2)}/${fmt(x.p99, 2)} ms${x.keptUp ? '' : ' (saturated: fell behind)'}` : `${name} not measured`);
  out.push(`S3: ${side('one Redis', o)}, ${side('cluster', c)}${cl.s3Ratio ? `: cluster ÷ one Redis p99 ${cl.s3Ratio.p99}×, CPU per message ${cl.s3Ratio.cpu}×` : ', no ratio'}`);
  return out;
}

const mark = (met) => (met == null ? '– not measured' : met === NO_VERDICT ? '⚠️ peer saturated, no verdict' : met ? '✅ met' : '❌ not met');

export function printSummary(report) {
  console.log('\nTargets:');
  for (const c of report.summary.checks) console.log(`  ${mark(c.met).padEnd(16)} ${c.scenario.padEnd(9)} ${c.target}: ${c.measured}`);
  for (const line of clusterLines(report.summary.cluster)) console.log(`  cluster   ${line}`);
  for (const [p, why] of Object.entries(report.skipped ?? {})) console.log(`  skipped ${p}: ${why}`);
  for (const e of report.errors ?? []) console.log(`  error: ${e.what}: ${e.error.split('\n')[0]}`);
}

/** Rows of one figure per target for a fan-out scenario, with Herald ÷ each peer. */
function targetRows(section, transport, columns, ratioOf, lowerIsBetter) {
  const keys = ['herald', ...PEER_ORDER].filter((t) => section[`${t}/${transport}`]);
  const h = section[`herald/${transport}`];
  return keys.map((t) => {
    const v = section[`${t}/${transport}`];
    const rr = t === 'herald' ? '—' : ratio(ratioOf(h ?? {}), ratioOf(v));
    return `| ${LABEL[t]} | ${columns(v).join(' | ')} | ${rr == null ? '–' : rr === '—' ? rr : `${rr}×${lowerIsBetter ? (rr <= 1 ? ' (Herald lower)' : ' (Herald higher)') : rr >= 1 ? ' (Herald ahead)' : ' (Herald behind)'}`} |`;
  });
}

export function writeReport(report) {
  const { summary: s, config: c, machine: m, software: sw } = report;
  const L = [];
  const carried = Object.entries(report.scenarioMeta ?? {}).filter(([, v]) => v.carriedOver);
  L.push('# Benchmarks — Herald against its peers', '');
  L.push(`Generated by \`${report.command}\` (\`scripts/bench.mjs\`, \`bench/\`) on ${report.date.slice(0, 10)} in ${Math.round(report.durationSeconds / 60)} min; every run is in`);
  L.push(`[benchmarks.json](benchmarks.json). Figures are **medians of ${c.runs} run${c.runs > 1 ? 's' : ''}** unless a table says otherwise. Ratios are`);
  L.push('Herald ÷ peer, measured in the same run on the same machine with the same load generator over 127.0.0.1.');
  if (carried.length) L.push('', `Carried over from an earlier run (not run this time): ${carried.map(([k, v]) => `${k} (${v.date?.slice(0, 10)}, ${v.gitCommit})`).join(', ')}.`);
  L.push('', '## Targets (issues 8 and 14)', '', '| Scenario | Target | Measured | Result |', '|---|---|---|---|');
  // A row measured by an earlier run says so itself (the line above lists them too): one report, one commit per row.
  const SOURCE = { S1: ['s1'], S2: ['s2'], S3: ['s3'], S4: ['s4'], S5: ['s5'], S6: ['s2', 's3'], Pusher: ['s2'], MQTT: ['mqtt'], Isolation: ['iso'] };
  const origin = (scenario) => (SOURCE[scenario] ?? []).map((k) => report.scenarioMeta?.[k]).find((v) => v?.carriedOver);
  for (const x of s.checks) {
    const o = origin(x.scenario);
    L.push(`| ${x.scenario} | ${x.target} | ${x.measured}${o ? ` *(carried over: ${o.date?.slice(0, 10)}, ${o.gitCommit})*` : ''} | ${mark(x.met)} |`);
  }
  const skipped = Object.entries(report.skipped ?? {});
  if (skipped.length) L.push('', ...skipped.map(([p, why]) => `- **${p} skipped**: ${why}`));
  if (report.errors?.length) L.push('', '**Errors during the run** (the scenario is missing or partial):', '', ...report.errors.map((e) => `- ${e.what}: \`${e.error.split('\n')[0].slice(0, 300)}\``));

  L.push('', '## Setup', '');
  L.push(`- **Machine**: ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.kernel}; load average at start ${m.loadavgAtStart.join(' / ')}, at the end ${m.loadavgAtEnd?.join(' / ') ?? '–'} (1-minute load during each measured phase is in benchmarks.json as \`loadavg\`); open files ${m.openFileLimit?.soft} (hard ${m.openFileLimit?.hard}); ephemeral ports ${m.ephemeralPorts}. A shared development machine: other work may run at the same time, and the load generator shares the 2 cores with the servers.`);
  L.push(`- **Software**: Node ${sw.node}, Redis ${sw.redis} (${sw.redisForBench ?? 'shared'}), PostgreSQL ${sw.postgres}; Herald at ${sw.gitCommit}${sw.uncommittedServerFiles ? ` (+${sw.uncommittedServerFiles} uncommitted files under apps/ and libs/; dist/ as built)` : ''}; ws ${sw.ws}; ${sw.nginx ?? 'nginx –'} with Nchan ${sw.nchan ?? '–'}; Socket.IO ${sw.socketIo} + @socket.io/redis-adapter ${sw.socketIoRedisAdapter} (client ${sw.socketIoClient}).`);
  L.push(`- **Command**: \`${report.command}\`${Object.keys(report.env).length ? ` with ${Object.entries(report.env).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}; scale ${c.scale}.`);
  L.push('- **Herald**: API + 2 gateways (separate ports; subscribers alternate between them) + 1 worker, real processes from `dist/` (`startStack`), production timings, database `herald_bench`, Redis with a key prefix of its own, one tenant on the `bench` plan (no connection or rate cap that a scenario would hit; upserted by the bench). **Its CPU and memory include Redis and the Postgres backends of `herald_bench`**, which it needs; Redis is also shown on its own.');
  L.push('- **raw ws** (`bench/peers/raw-ws-server.mjs`): one Node process; a publish (HTTP POST) is framed once with `Sender.frame` and the same buffers are written to every subscriber socket between `cork()`/`uncork()`.');
  L.push(`- **Nchan** (\`bench/peers/nchan.mjs\`): nginx with 2 worker processes from a generated nginx.conf in a temporary prefix (\`nginx -p <tmp> -c <conf>\`), \`nchan_subscriber websocket eventsource longpoll\` (first message: newest), \`nchan_publisher\` over HTTP, message buffer sized for the scenario. Master + workers are measured.`);
  L.push("- **Nchan+Redis** (the same nginx and module): both locations store in the bench's Redis (`nchan_redis_pass`, `nchan_redis_storage_mode distributed`), so every message is in Redis before it is delivered — the durable peer for S3 and S4. Its totals include Redis.");
  L.push('- **Socket.IO** (`bench/peers/socketio-server.mjs`): 2 processes on separate ports with `@socket.io/redis-adapter` on the same Redis (its own key prefix); HTTP POST → `io.to(channel).emit()`; clients `socket.io-client` with `transports: [\'websocket\']`. Its totals include Redis.');
  L.push(`- **Load generator**: subscribers in forked processes (≤ 5,000 connections each, 2–8 processes), publishers in the bench process over keep-alive HTTP agents, open loop. Payload \`{t, i, p}\` of ${c.bytes} bytes; latency = receive time − \`t\` (\`performance.timeOrigin + performance.now()\`, the same clock in every process) in HDR histograms; gaps/duplicates by offset (Herald) or by \`i\` (peers).`);

  // S1
  L.push('', `## S1 — idle WebSocket subscribers: memory per connection`, '');
  L.push(`${c.s1.subscribers.toLocaleString('en-US')} subscribers on one channel; (RSS after − before) ÷ N, summed over the target's processes, 3 s after the last one subscribed. "total" adds Redis for the targets that need it. Garbage collection and heap reuse (the processes are not restarted between runs) make single runs noisy, even negative; the median is shown, every run is in benchmarks.json.`, '');
  L.push('| Target | subscribers | servers per connection | Redis per connection | total per connection | connect time s | Herald ÷ this (total) |', '|---|---:|---:|---:|---:|---:|---:|');
  L.push(...targetRows(s.s1, 'ws', (v) => [fmt(v.subscribers, 0), kb(v.bytes), kb(v.redisBytes), kb(v.totalBytes), fmt(v.connectSeconds)], (v) => v.totalBytes, true));
  // S2
  L.push('', '## S2 — broadcast: deliveries per server CPU-second', '');
  L.push(`${c.s1.subscribers.toLocaleString('en-US')} subscribers on one channel; ${c.bytes}-byte messages published over HTTP ${c.s2.window ? `closed loop (at most ${c.s2.window} messages not yet delivered to every subscriber: each target runs as fast as it delivers, none can fall behind its load)` : `at ${c.s2.rate} msg/s open loop`} until ≥ ${c.s2.deliveries.toLocaleString('en-US')} deliveries; CPU = utime+stime of every process of the target from the first publish until the last delivery (Redis and Postgres included for Herald, Redis for Socket.IO).`, '');
  L.push('| Target | deliveries | CPU-s (of which Redis / Postgres) | deliveries per CPU-s | p50 ms | p99 ms | gaps | dups | Herald ÷ this |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  L.push(...targetRows(s.s2, 'ws', (v) => [fmt(v.deliveries, 0), `${fmt(v.cpuTotal, 2)} (${fmt(v.cpuRedis, 2)} / ${fmt(v.cpuPostgres, 2)})`, `**${fmt(v.perCpuSecond, 0)}**`, fmt(v.p50, 2), fmt(v.p99, 2), v.gaps, v.duplicates], (v) => v.perCpuSecond, false));
  // S3
  L.push('', '## S3 — latency', '');
  L.push(`${c.s3.subscribers.toLocaleString('en-US')} subscribers on one channel; publishes at ${c.s3.rate} msg/s (${(c.s3.rate * c.s3.subscribers).toLocaleString('en-US')} deliveries/s) open loop for ${c.s3.seconds} s per run.`, '');
  L.push('| Target | p50 ms | p99 ms | p99.9 ms | max ms | delivered | dups | CPU-s | Herald ÷ this (p99) |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  L.push(...targetRows(s.s3, 'ws', (v) => [fmt(v.p50, 2), `**${fmt(v.p99, 2)}**`, fmt(v.p999, 2), fmt(v.max, 2), `${v.deliveries}/${v.expected}`, v.duplicates, fmt(v.cpuTotal, 2)], (v) => v.p99, true));
  // Pusher protocol
  if (s.s1['herald/pusher'] || s.s2['herald/pusher'] || s.s3['herald/pusher']) {
    L.push('', "## Pusher's protocol — Herald's `/app/{key}` next to its own `/ws`", '');
    L.push("The S1–S3 loads above with protocol-7 subscribers (the frames pusher-js sends and reads: `pusher:subscribe`, events `message`, `pusher:ping`/`pusher:pong`) on the same Herald, in the same run. The target (issue 15): within 10 % of Herald's own deliveries per CPU-second.", '');
    L.push('| Herald over | memory per connection (total) | S2 deliveries per CPU-s | S2 p99 ms | S3 p50 ms | S3 p99 ms | gaps / dups | ÷ Herald `/ws` |', '|---|---:|---:|---:|---:|---:|---:|---|');
    for (const tr of ['ws', 'pusher']) {
      const a = s.s1[`herald/${tr}`];
      const b = s.s2[`herald/${tr}`];
      const d = s.s3[`herald/${tr}`];
      const hw = (sec, f) => ratio(f(s[sec][`herald/pusher`] ?? {}), f(s[sec][`herald/ws`] ?? {}));
      const rr = tr === 'ws' ? '—' : `memory ${hw('s1', (v) => v.totalBytes) ?? '–'}×, deliveries/CPU-s ${hw('s2', (v) => v.perCpuSecond) ?? '–'}×, S3 p99 ${hw('s3', (v) => v.p99) ?? '–'}×`;
      L.push(`| ${tr === 'ws' ? "Herald's protocol (`/ws`)" : "Pusher's protocol (`/app/{key}`)"} | ${kb(a?.totalBytes)} | **${fmt(b?.perCpuSecond, 0)}** | ${fmt(b?.p99, 2)} | ${fmt(d?.p50, 2)} | **${fmt(d?.p99, 2)}** | ${(b?.gaps ?? 0) + (d?.gaps ?? 0)} / ${(b?.duplicates ?? 0) + (d?.duplicates ?? 0)} | ${rr} |`);
    }
  }
  // MQTT
  if (s.mqtt) {
    const mq = report.config.mqtt ?? {};
    L.push('', '## MQTT — Herald against mosquitto', '');
    L.push(`MQTT 3.1.1 QoS 0 subscribers over TCP (a minimal client on \`mqtt-packet\` in the load generator): ${fmt(mq.subscribers, 0)} idle subscribers on one topic (memory per connection, as S1), then ≥ ${fmt(mq.deliveries, 0)} deliveries closed loop (as S2), then ${fmt(mq.latencySubscribers, 0)} subscribers at S3's rate (publish → deliver). Herald: both gateways' MQTT ports, messages published over REST (stored with offsets, then fanned out; Redis and Postgres counted). mosquitto (Debian ${report.software?.mosquitto ?? ''}, \`bench/peers/mosquitto.mjs\`): one process with a generated config on a free loopback port, no persistence; messages published by one MQTT client at QoS 1. Targets (issue 17): memory per connection ≤ 1.5× mosquitto, deliveries per CPU-second ≥ 0.5× mosquitto (a C broker with no durability).`, '');
    L.push('| Target | memory per connection: servers / total | S2 deliveries per CPU-s | S2 p99 ms | S3 p50 ms | S3 p99 ms | gaps / dups | Herald ÷ mosquitto |', '|---|---:|---:|---:|---:|---:|---:|---|');
    for (const t of ['herald', 'mosquitto']) {
      const a = s.mqtt.s1[`${t}/mqtt`];
      const b = s.mqtt.s2[`${t}/mqtt`];
      const d = s.mqtt.s3[`${t}/mqtt`];
      if (!a && !b && !d) continue;
      const hm = (sec, f) => ratio(f(s.mqtt[sec]['herald/mqtt'] ?? {}), f(s.mqtt[sec]['mosquitto/mqtt'] ?? {}));
      const rr = t === 'herald' ? '—' : `memory ${hm('s1', (v) => v.totalBytes) ?? '–'}×, deliveries/CPU-s ${hm('s2', (v) => v.perCpuSecond) ?? '–'}×, S3 p99 ${hm('s3', (v) => v.p99) ?? '–'}×`;
      L.push(`| ${LABEL[t]} | ${kb(a?.bytes)} / ${kb(a?.totalBytes)} | **${fmt(b?.perCpuSecond, 0)}** | ${fmt(b?.p99, 2)} | ${fmt(d?.p50, 2)} | **${fmt(d?.p99, 2)}** | ${(b?.gaps ?? 0) + (d?.gaps ?? 0)} / ${(b?.duplicates ?? 0) + (d?.duplicates ?? 0)} | ${rr} |`);
    }
  }
  // S6
  L.push('', '## S6 — SSE and long-polling against Nchan', '');
  L.push(`S1–S3 with Herald's \`/sse\` and \`/poll\` against Nchan's eventsource and longpoll subscribers. SSE uses the WebSocket sizes; long-polling uses ${c.s6.pollSubscribers.toLocaleString('en-US')} subscribers (the same N for both): each long-poll delivery is a new request.`, '');
  for (const tr of ['sse', 'poll']) {
    if (!s.s1[`herald/${tr}`] && !s.s2[`herald/${tr}`] && !s.s3[`herald/${tr}`]) continue;
    L.push(`### ${TRANSPORT[tr]}`, '', '| Target | memory per connection (total) | deliveries per CPU-s (S2) | S2 p99 ms | S3 p50 ms | S3 p99 ms | S3 p99.9 ms | gaps / dups | Herald ÷ Nchan |', '|---|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const t of ['herald', 'nchan']) {
      const a = s.s1[`${t}/${tr}`];
      const b = s.s2[`${t}/${tr}`];
      const d = s.s3[`${t}/${tr}`];
      if (!a && !b && !d) continue;
      const hn = (sec, f) => ratio(f(s[sec][`herald/${tr}`] ?? {}), f(s[sec][`nchan/${tr}`] ?? {}));
      const rr = t === 'herald' ? '—' : `memory ${hn('s1', (v) => v.totalBytes) ?? '–'}×, deliveries/CPU-s ${hn('s2', (v) => v.perCpuSecond) ?? '–'}×, p99 ${hn('s3', (v) => v.p99) ?? '–'}×`;
      L.push(`| ${LABEL[t]} | ${kb(a?.totalBytes)} | **${fmt(b?.perCpuSecond, 0)}** | ${fmt(b?.p99, 2)} | ${fmt(d?.p50, 2)} | **${fmt(d?.p99, 2)}** | ${fmt(d?.p999, 2)} | ${(b?.gaps ?? 0) + (d?.gaps ?? 0)} / ${(b?.duplicates ?? 0) + (d?.duplicates ?? 0)} | ${rr} |`);
    }
    L.push('');
  }
  // S4
  const s4 = report.results.s4?.['herald/ws']?.[0];
  const s4Peer = report.results.s4?.['nchan-redis/ws']?.[0];
  L.push('## S4 — durable pipeline (Herald; Nchan+Redis as the durable peer)', '');
  if (!s4) L.push('Not measured in this run.');
  else {
    L.push(`${s4.channels.toLocaleString('en-US')} channels with one WebSocket subscriber each; REST publishes spread over them open loop, ${s4.seconds} s per step, the rate stepped up until a step fails (accepted ≠ delivered, p99 > ${s4.p99LimitMs} ms, or < 95 % of the rate achieved). Batches of ${s4.batchSize} items through \`/v1/publish/batch\`. Nchan+Redis (Nchan storing each message in Redis before delivering it: no offsets, no archive, no batch endpoint) takes the same single-publish steps in the same run.`, '');
    L.push(`**Highest rate sustained**: single \`/v1/publish\` ${fmt(s4.bestSingle?.achievedRate ?? 0, 0)}/s (p99 ${fmt(s4.bestSingle?.latencyMs.p99, 2)} ms); batch ${fmt(s4.bestBatch?.achievedRate ?? 0, 0)}/s (p99 ${fmt(s4.bestBatch?.latencyMs.p99, 2)} ms)${s4Peer ? `; Nchan+Redis single ${fmt(s4Peer.bestSingle?.achievedRate ?? 0, 0)}/s (p99 ${fmt(s4Peer.bestSingle?.latencyMs.p99, 2)} ms)` : ''}.`, '');
    L.push('| Target | Mode | target /s | achieved /s | accepted / published | delivered | p50 ms | p99 ms | CPU-s per 1,000 publishes: api / gateways / worker / Redis / Postgres / total | result |', '|---|---|---:|---:|---:|---:|---:|---:|---|---|');
    const rows = (label, run) => {
      for (const st of [...run.single, ...run.batch]) {
        const p = st.cpuPer1kPublishes;
        const own = (prefix) => Object.entries(p).filter(([k]) => k.startsWith(prefix)).reduce((t, [, v]) => t + v, 0);
        const split = label === 'Herald' ? `${fmt(p.api, 3)} / ${fmt(own('gateway'), 3)} / ${fmt(p.worker, 3)} / ${fmt(p.redis, 3)} / ${fmt(p.postgres, 3)}` : `nginx ${fmt(own('nginx'), 3)} / Redis ${fmt(p.redis, 3)}`;
        L.push(`| ${label} | ${st.mode} | ${fmt(st.targetRate, 0)} | ${fmt(st.achievedRate, 0)} | ${st.accepted}/${st.published} | ${st.delivered} | ${fmt(st.latencyMs.p50, 2)} | ${fmt(st.latencyMs.p99, 2)} | ${split} / **${fmt(p.total, 3)}** | ${st.ok ? 'ok' : `stop: ${st.reasons.join('; ')}`} |`);
      }
    };
    rows('Herald', s4);
    if (s4Peer) rows('Nchan+Redis', s4Peer);
  }
  // Cluster
  if (s.cluster) {
    const cl = s.cluster;
    const meta = report.scenarioMeta?.cluster;
    L.push('', `## Cluster — one Redis against a ${cl.masters ?? 3}-master Redis Cluster (Herald only, \`--only cluster\`)`, '');
    if (meta?.carriedOver) L.push(`*Carried over: measured on ${meta.date?.slice(0, 10)} at ${meta.gitCommit}.*`, '');
    L.push(`The same Herald (API + 2 gateways + 1 worker, \`npm start\`'s defaults) on the bench's one Redis, then on a Redis Cluster of ${cl.masters ?? 3} masters with a replica each (Debian's redis-server on loopback, started as the tests start theirs: \`startRedisCluster\`; \`REDIS_CLUSTER_NODES\`), in the same run on the same machine. Each takes S3's load (${fmt(cl.arms.one?.s3.subscribers ?? c.s3.subscribers, 0)} subscribers on one channel, ${fmt(cl.arms.one?.s3.rate ?? c.s3.rate, 0)} msg/s open loop, ${c.s3.seconds} s × ${cl.arms.one?.s3.runs ?? c.runs}) and S4's steps (${fmt(c.s4.channels, 0)} channels, one subscriber each: spread over every master; single and batches of ${c.s4.batchSize}). **CPU**: Herald's processes, the Postgres backends and Redis — the one Redis, or every node of the cluster with masters and replicas apart. The ratio counts the **masters only**: they do the work the one Redis does (scripts, fan-out, queues), while a replica's CPU is the price of keeping a copy, which the one Redis does not pay; it is shown beside it. S4's steps go up until a side falls behind (deliveries short of the accepted publishes, under 95 % of the rate, or p50 ≥ ${SATURATED_P50_MS} ms: the bench's saturation mark); p99 is shown, not judged, since this compares cost, not latency. A side that fell behind, in S4 or in S3 (p50 ≥ ${SATURATED_P50_MS} ms or a gap), is reported as saturated, with no ratio.`, '');
    L.push(...clusterLines(cl).map((x) => `- ${x}`), '');
    L.push('| Redis | S3 p50 ms | S3 p99 ms | S3 p99.9 ms | delivered | S3 CPU-ms per message: compared (masters; replicas) | S3 kept up | S4 single: highest rate kept up (p99 ms) | S4 batch: highest rate kept up (p99 ms) | load average (1 min) before / after |', '|---|---:|---:|---:|---:|---:|---|---:|---:|---|');
    for (const [name, label] of [['one', 'one Redis'], ['cluster', `cluster, ${cl.masters ?? 3} masters + replicas`]]) {
      const a = cl.arms[name];
      if (!a) continue;
      const best = (b) => (b ? `${fmt(b.rate, 0)}/s (${fmt(b.p99, 1)})` : 'none');
      L.push(`| ${label} | ${fmt(a.s3.p50, 2)} | **${fmt(a.s3.p99, 2)}** | ${fmt(a.s3.p999, 2)} | ${a.s3.deliveries}/${a.s3.expected} | ${fmt(a.s3.cpuMsPerMessage, 3)} (${fmt(a.s3.redisMsPerMessage, 3)}; ${name === 'one' ? '–' : fmt(a.s3.replicaMsPerMessage, 3)}) | ${a.s3.keptUp ? 'yes' : '**saturated**'} | ${best(a.bestSingle)} | ${best(a.bestBatch)} | ${fmt(a.loadavg?.start, 2)} / ${fmt(a.loadavg?.end, 2)} |`);
    }
    L.push('', 'CPU-ms per publish at each S4 step both sides took: Herald (API + gateways + worker) / Redis masters / Postgres = compared; replicas apart.', '');
    L.push('| Mode | rate /s | one Redis: Herald / Redis / Postgres = **compared** | p99 ms | cluster: Herald / masters / Postgres = **compared** (+ replicas) | p99 ms | cluster ÷ one Redis |', '|---|---:|---|---:|---|---:|---:|');
    const cpu = (x) => `${fmt(x.herald, 3)} / ${fmt(x.masters, 3)} / ${fmt(x.postgres, 3)} = **${fmt(x.compared, 3)}**`;
    for (const st of cl.steps) {
      const verdict = st.ratio != null ? `**${st.ratio}×**` : `no ratio: ${[!st.one.ok && `one Redis saturated (${st.one.reasons.join('; ')})`, !st.cluster.ok && `cluster saturated (${st.cluster.reasons.join('; ')})`].filter(Boolean).join(', ')}`;
      L.push(`| ${st.mode} | ${fmt(st.rate, 0)} | ${cpu(st.one.cpu)} | ${fmt(st.one.p99, 1)} | ${cpu(st.cluster.cpu)} (+ ${fmt(st.cluster.cpu.replicas, 3)}) | ${fmt(st.cluster.p99, 1)} | ${verdict} |`);
    }
  }
  // S5
  const s5 = s.s5;
  L.push('', '## S5 — reconnect storm (Herald only)', '');
  if (!s5) L.push('Not measured in this run.');
  else {
    L.push(`${s5.clients.toLocaleString('en-US')} SDK-like WebSocket clients on gateway 1 over ${s5.channels} channels, ${s5.rate} msg/s published over REST; gateway 1 SIGKILLed; every client reconnects to gateway 2 after a full-jitter delay (uniform [0, 500·2ⁿ) ms, as the SDK) and resubscribes with its last {offset, epoch}. Caught up = resumed and holding every message up to the offset its \`subscribed\` frame named. One run.`, '');
    L.push('| clients | resumed | caught up | time from kill to the last client caught up | not recovered | gaps | duplicates | out of order | published / accepted |', '|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    L.push(`| ${s5.clients} | ${s5.resumed} | ${s5.caughtUp} | **${fmt(s5.recoverySeconds, 3)} s** | ${s5.notRecovered} | ${s5.gaps} | ${s5.duplicates} | ${s5.outOfOrder} | ${s5.published} / ${s5.accepted} |`);
  }
  // Isolation
  const iso = report.results.iso?.['herald/ws']?.[0];
  L.push('', '## Tenant isolation (Herald only)', '');
  if (!iso) L.push('Not measured in this run.');
  else {
    L.push(`Tenant B (\`bench\` plan) publishes ${iso.rateB} msg/s to ${iso.subscribersB} WebSocket subscribers for ${iso.seconds} s, alone and then while tenant A (\`${iso.planA}\` plan, ${iso.limitA} publishes/s) floods at ${iso.floodRate}/s over REST. Medians of ${iso.alone.length} pairs.`, '');
    L.push('| | p50 ms | p99 ms | flood sent (statuses) |', '|---|---:|---:|---|');
    L.push(`| B alone | ${fmt(s.iso.aloneP50, 2)} | **${fmt(s.iso.aloneP99, 2)}** | |`);
    L.push(`| B while A floods | ${fmt(s.iso.floodedP50, 2)} | **${fmt(s.iso.floodedP99, 2)}** (${s.iso.ratio}×) | ${iso.flooded.map((f) => `${f.flood.sent} ${JSON.stringify(f.flood.statuses)}`).join('; ')} |`);
  }
  // Log level
  L.push('', '## Log level (Herald only)', '');
  if (!s.logs) L.push('Not measured in this run.');
  else {
    const g = s.logs;
    L.push(`What a log level costs a publish: Herald (API + 1 gateway + 1 worker) started afresh per arm at its default level (\`info\`: a request line only for a 5xx; every other request line at debug) and at \`debug\` (a JSON line per request), then ${fmt(g.rate, 0)} single durable publishes/s open loop for ${g.seconds} s over ${g.channels} channels with one WebSocket subscriber each. Arms alternate in order run by run; medians of the runs. CPU in ms per publish (= CPU-s per 1,000).`, '');
    L.push('| HERALD_LOG_LEVEL | runs | achieved /s | API CPU-ms per publish | total CPU-ms per publish | p50 ms | p99 ms | accepted − delivered |', '|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const [level, v] of Object.entries(g.per)) L.push(`| \`${level}\`${level === 'info' ? ' (default)' : ''} | ${v.runs} | ${fmt(v.achieved, 0)} | ${fmt(v.api, 3)} | **${fmt(v.total, 3)}** | ${fmt(v.p50, 2)} | ${fmt(v.p99, 2)} | ${v.lost} |`);
    if (g.debugExtra) L.push('', `A line per request (\`debug\`) adds ${fmt(g.debugExtra.api, 3)} API CPU-ms and ${fmt(g.debugExtra.total, 3)} CPU-ms in all per publish (${g.debugExtra.ratio}× the default's total); the default writes no line for a successful request.`);
  }
  const wh = report.results.webhooks?.['herald/http'];
  if (wh) L.push('', '## Webhooks (Herald only, `--only webhooks`)', '', 'Raw results in benchmarks.json (`results.webhooks`).', '', '```json', JSON.stringify(wh, null, 1).slice(0, 3000), '```');
  L.push('', '## Method', '');
  L.push('- **CPU**: utime+stime from `/proc/<pid>/stat` of every server process (nginx master and workers; each Herald process; each Socket.IO process), sampled before the first publish and after the last delivery of each measured phase. Redis (a redis-server of the bench\'s own unless BENCH_SHARED_REDIS=1) is counted for Herald and Socket.IO; the Postgres backends connected to `herald_bench` are counted for Herald. The load generator\'s CPU is not counted.');
  L.push('- **Memory**: VmRSS from `/proc/<pid>/status`, summed over the same processes, before the subscribers connect and 3 s after the last one is subscribed, after an unmeasured warm-up (up to 1,000 connections and 5 messages, closed again). Garbage collection can make a small figure negative; a long-poll "connection" is a held request.');
  L.push('- **Open loop**: message *i* is sent at *t0 + i/rate* whatever earlier answers did; publish answers and sender lag are in benchmarks.json.');
  L.push('- **Warm-up**: 5 unmeasured messages before each S2 run and 2 s of the S3 rate before S3\'s runs; S4 warms both paths for 1 s.');
  L.push('- **Gaps / duplicates**: per connection, a sequence (Herald: offset; peers: the payload\'s `i`) that jumps opens holes; a later arrival filling a hole is out of order, one already seen is a duplicate; gaps = accepted × subscribers − unique deliveries.');
  if (report.findings) L.push('', '## Profiling findings (bench/findings.md, verbatim)', '', report.findings.trimEnd());
  return `${L.join('\n')}\n`;
}
