// Medians, anomaly checks and the docs/benchmarks.md text for scripts/bench.mjs.
import { median } from './lib.mjs';

const PROCS = ['api', 'gateway', 'worker', 'redis', 'postgres', 'bench'];
const PROC_LABEL = {
  api: 'api',
  gateway: 'gateway',
  worker: 'worker',
  redis: 'redis-server (:6379)',
  postgres: 'postgres backends of herald_bench',
  bench: 'bench process (load generator + subscriber)',
};

const med = (runs, get) => median(runs.map(get));
const round = (x, d = 1) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);

function cpuMedians(runs) {
  return Object.fromEntries(PROCS.map((p) => [p, round(med(runs, (r) => r.cpu?.[p]?.per1k), 3)]));
}

export function aggregate(report) {
  const { lat, rate } = report.runs;
  const summary = {
    lat: {
      p50: med(lat, (r) => r.latencyMs.p50),
      p90: med(lat, (r) => r.latencyMs.p90),
      p99: med(lat, (r) => r.latencyMs.p99),
      max: med(lat, (r) => r.latencyMs.max),
      publishAnswerP50: med(lat, (r) => r.publishAnswerMs.p50),
      publishAnswerP99: med(lat, (r) => r.publishAnswerMs.p99),
      gaps: lat.reduce((s, r) => s + r.gaps, 0),
      duplicates: lat.reduce((s, r) => s + r.duplicates, 0),
      outOfOrder: lat.reduce((s, r) => s + r.outOfOrder, 0),
      cpuPer1k: cpuMedians(lat),
      coresBusy: med(lat, (r) => r.coresBusy),
    },
    rate: {
      acceptedPerSec: med(rate, (r) => r.acceptedPerSec),
      drainedPerSec: med(rate, (r) => r.drainedPerSec),
      latencyUnderLoadP50: med(rate, (r) => r.latencyUnderLoadMs.p50),
      latencyUnderLoadP99: med(rate, (r) => r.latencyUnderLoadMs.p99),
      publishAnswerP50: med(rate, (r) => r.publishAnswerMs.p50),
      publishAnswerP99: med(rate, (r) => r.publishAnswerMs.p99),
      gaps: rate.reduce((s, r) => s + r.gaps, 0),
      duplicates: rate.reduce((s, r) => s + r.duplicates, 0),
      outOfOrder: rate.reduce((s, r) => s + r.outOfOrder, 0),
      cpuPer1k: cpuMedians(rate),
      coresBusy: med(rate, (r) => r.coresBusy),
    },
    anomalies: [],
  };
  const a = summary.anomalies;
  const add = (severity, text) => a.push({ severity, text });
  for (const [name, runs] of [['S-lat', lat], ['S-rate', rate]]) {
    runs.forEach((r, i) => {
      const tag = `${name} run ${i + 1}`;
      const non200 = Object.entries(r.statuses).filter(([s]) => s !== '200');
      if (non200.length) add('error', `${tag}: non-200 publish answers ${JSON.stringify(Object.fromEntries(non200))} e.g. ${JSON.stringify(r.publishErrors[0])}`);
      if (!r.drained) add('error', `${tag}: subscriber received ${r.received} of ${r.accepted} accepted messages before the drain timeout`);
      if (r.gaps) add('error', `${tag}: ${r.gaps} offset gap(s)`);
      if (r.duplicates) add('error', `${tag}: ${r.duplicates} duplicate(s)`);
      if (r.unexpected) add('error', `${tag}: ${r.unexpected} delivered offset(s) that no publish answered with`);
      if (r.outOfOrder) add('warn', `${tag}: ${r.outOfOrder} delivery(ies) arrived with a lower offset than the previous one on its channel`);
      if (r.subscriberErrors.length) add('warn', `${tag}: subscriber got ${JSON.stringify(r.subscriberErrors[0])}`);
      const l = r.latencyMs ?? r.latencyUnderLoadMs;
      if (name === 'S-lat' && l.max > 10 * Math.max(l.p99, 1)) add('warn', `${tag}: latency spike — max ${l.max} ms vs p99 ${l.p99} ms`);
      if (name === 'S-lat' && r.schedulerLagMs.max > 50) add('warn', `${tag}: the open-loop sender ran up to ${r.schedulerLagMs.max} ms late (bench process starved; messages went out in a burst)`);
    });
  }
  for (const e of report.unexpectedExits ?? []) add('error', `${e.name} exited during the runs (code ${e.code}, signal ${e.signal})`);
  const spread = (vals) => (vals.length > 1 && Math.min(...vals) > 0 ? Math.max(...vals) / Math.min(...vals) : 1);
  const p99s = lat.map((r) => r.latencyMs.p99);
  if (spread(p99s) > 2) add('info', `S-lat p99 varies ${round(spread(p99s))}× between runs (${p99s.join(', ')} ms): noisy machine`);
  const rates = rate.map((r) => r.acceptedPerSec);
  if (spread(rates) > 1.3) add('info', `S-rate accepted/s varies ${round(spread(rates))}× between runs (${rates.join(', ')}): noisy machine`);
  const server = (c) => ['api', 'gateway', 'worker', 'redis', 'postgres'].reduce((t, p) => t + (c[p] ?? 0), 0);
  const ratio = server(summary.rate.cpuPer1k) > 0 ? server(summary.lat.cpuPer1k) / server(summary.rate.cpuPer1k) : 0;
  if (ratio > 2) {
    add('info', `server CPU per message is ${round(ratio)}× higher at S-lat's ${report.config.lat.rate} msg/s than at full rate (${round(server(summary.lat.cpuPer1k), 2)} vs ${round(server(summary.rate.cpuPer1k), 2)} CPU-s per 1k; idle cost is negligible): per-message overheads that batch away under load`);
  }
  const nproc = report.machine.nproc;
  if (summary.rate.coresBusy != null && summary.rate.coresBusy >= 0.85 * nproc) {
    add('info', `S-rate keeps ${summary.rate.coresBusy} of ${nproc} cores busy (measured processes only): the publish rate is bounded by this machine's CPU, shared by servers, Redis, Postgres and the load generator`);
  }
  return summary;
}

export function printSummary(report) {
  const s = report.summary;
  console.log('');
  console.log(`S-lat  median of ${report.runs.lat.length}: p50 ${s.lat.p50} ms, p90 ${s.lat.p90} ms, p99 ${s.lat.p99} ms, max ${s.lat.max} ms; gaps ${s.lat.gaps}, duplicates ${s.lat.duplicates}`);
  console.log(`S-rate median of ${report.runs.rate.length}: accepted ${s.rate.acceptedPerSec}/s, drained ${s.rate.drainedPerSec}/s; gaps ${s.rate.gaps}, duplicates ${s.rate.duplicates}`);
  console.log(`CPU-s per 1k msgs (S-rate): ${PROCS.map((p) => `${p} ${s.rate.cpuPer1k[p]}`).join(', ')}`);
  console.log(`CPU-s per 1k msgs (S-lat):  ${PROCS.map((p) => `${p} ${s.lat.cpuPer1k[p]}`).join(', ')}`);
  for (const a of s.anomalies) console.log(`${a.severity.toUpperCase()}: ${a.text}`);
}

const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i ? '---:' : '---')).join('|')}|`, ...rows.map((r) => `| ${r.map((c) => (c == null ? '–' : c)).join(' | ')} |`)].join('\n');

export function writeReport(report) {
  const { summary: s, config: c, machine: m, software: v } = report;
  const { lat, rate } = report.runs;
  const envLine = Object.entries(report.env).map(([k, val]) => `${k}=${val}`).join(' ');
  const out = [];
  out.push(`# Benchmarks — foundation baseline

Generated by \`npm run bench\` (\`scripts/bench.mjs\`, helpers in \`bench/\`) on ${report.date.slice(0, 10)}; raw
results, every run, are in [benchmarks.json](benchmarks.json). Numbers below are **medians of ${c.runs} runs**.

> This is Herald alone, measured end to end through its real processes. Side-by-side peers (raw \`ws\`,
> Nchan, Socket.IO) arrive with issue 8; until then these numbers are the baseline to compare against,
> not a claim about how Herald ranks.

## Summary

${table(
    ['Scenario', 'Result (median)'],
    [
      [`S-lat: end-to-end latency, 1 subscriber, ${c.lat.rate} msg/s open-loop`, `p50 **${s.lat.p50} ms**, p90 ${s.lat.p90} ms, p99 **${s.lat.p99} ms**, max ${s.lat.max} ms`],
      ['S-lat: REST publish answer time', `p50 ${s.lat.publishAnswerP50} ms, p99 ${s.lat.publishAnswerP99} ms`],
      [`S-rate: accepted (all 200), ${c.rate.concurrency} publishers, ${c.rate.channels} channels`, `**${s.rate.acceptedPerSec} msg/s**`],
      ['S-rate: drained to one subscriber of all channels', `**${s.rate.drainedPerSec} msg/s**`],
      ['S-rate: latency under that load', `p50 ${s.rate.latencyUnderLoadP50} ms, p99 ${s.rate.latencyUnderLoadP99} ms`],
      ['Gaps / duplicates by offset (all runs)', `${s.lat.gaps + s.rate.gaps} / ${s.lat.duplicates + s.rate.duplicates}`],
    ],
  )}

### Server CPU, CPU-seconds per 1,000 messages (utime+stime from \`/proc/<pid>/stat\`)

${table(
    ['Process', 'S-lat', 'S-rate', 'Idle (CPU-s per s)'],
    PROCS.map((p) => [PROC_LABEL[p], s.lat.cpuPer1k[p], s.rate.cpuPer1k[p], report.idleCpuSecondsPerSecond?.[p]]),
  )}

S-lat runs at a fixed ${c.lat.rate} msg/s for ${round(c.lat.messages / c.lat.rate)} s, so its figures include the processes' idle
cost over that time (last column: measured for 3 s after the warm-up, nothing being sent); S-rate's are
closer to the marginal cost of a message. A total: ${round(['api', 'gateway', 'worker', 'redis', 'postgres'].reduce((t, p) => t + (s.rate.cpuPer1k[p] ?? 0), 0), 3)} server CPU-s per 1,000 messages at full
rate, i.e. about ${round(1000 / Math.max(0.001, ['api', 'gateway', 'worker', 'redis', 'postgres'].reduce((t, p) => t + (s.rate.cpuPer1k[p] ?? 0), 0)), 0)} messages per server CPU-second.
`);

  out.push(`## Anomalies

${s.anomalies.length ? s.anomalies.map((a) => `- **${a.severity}**: ${a.text}`).join('\n') : '- none detected (no errors, no gaps or duplicates, no spike above 10× p99, no starved sender).'}
`);

  out.push(`## S-lat runs

${table(
    ['Run', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'sent msg/s', 'received', 'gaps', 'dups', 'out of order', 'publish answer p50/p99 ms', 'sender lag max ms', 'cores busy', 'loadavg 1m'],
    lat.map((r, i) => [i + 1, r.latencyMs.p50, r.latencyMs.p90, r.latencyMs.p99, r.latencyMs.p999, r.latencyMs.max, r.achievedSendRate, `${r.received}/${r.accepted}`, r.gaps, r.duplicates, r.outOfOrder, `${r.publishAnswerMs.p50} / ${r.publishAnswerMs.p99}`, r.schedulerLagMs.max, r.coresBusy, r.loadavg?.[0]]),
  )}

## S-rate runs

${table(
    ['Run', 'accepted msg/s', 'drained msg/s', 'accept s', 'drain s', 'received', 'gaps', 'dups', 'out of order', 'latency p50/p99 ms', 'publish answer p50/p99 ms', 'cores busy', 'loadavg 1m'],
    rate.map((r, i) => [i + 1, r.acceptedPerSec, r.drainedPerSec, r.acceptSeconds, r.drainSeconds, `${r.received}/${r.accepted}`, r.gaps, r.duplicates, r.outOfOrder, `${r.latencyUnderLoadMs.p50} / ${r.latencyUnderLoadMs.p99}`, `${r.publishAnswerMs.p50} / ${r.publishAnswerMs.p99}`, r.coresBusy, r.loadavg?.[0]]),
  )}

CPU per run (CPU-s per 1,000 messages):

${table(
    ['Run', ...PROCS],
    [...lat.map((r, i) => [`S-lat ${i + 1}`, ...PROCS.map((p) => r.cpu[p]?.per1k)]), ...rate.map((r, i) => [`S-rate ${i + 1}`, ...PROCS.map((p) => r.cpu[p]?.per1k)])],
  )}
`);

  out.push(`## Setup

- **Date**: ${report.date} (${report.durationSeconds} s for the whole bench)
- **Machine**: ${m.nproc} CPU(s), ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.kernel}; load average at start ${m.loadavgAtStart.join(' / ')}.
  A shared development machine: other sessions' builds and tests may run at the same time.
- **Software**: Node ${v.node}, Redis ${v.redis}, PostgreSQL ${v.postgres}; Herald at ${v.gitCommit}${v.uncommittedServerFiles ? ` with ${v.uncommittedServerFiles} uncommitted file(s) under apps/ and libs/ (the build in dist/ is what ran)` : ''}.
- **Command**: \`${envLine ? `${envLine} ` : ''}npm run bench\` (defaults: BENCH_RUNS=3, BENCH_LAT_MESSAGES=1000, BENCH_LAT_RATE=200,
  BENCH_RATE_MESSAGES=5000, BENCH_RATE_CONCURRENCY=32, BENCH_RATE_CHANNELS=100, BENCH_WARMUP=1000). This run:
  ${c.runs} runs, S-lat ${c.lat.messages} msgs at ${c.lat.rate} msg/s, S-rate ${c.rate.messages} msgs / ${c.rate.concurrency} publishers / ${c.rate.channels} channels, warm-up ${c.warmup}.
- **Stack**: API + 1 gateway + 1 worker, started as real processes by \`startStack\` (\`libs/testing\`) from \`dist/\`;
  database \`herald_bench\` (created and migrated with \`node scripts/prisma.mjs migrate deploy\`), the machine's
  Redis on 127.0.0.1:6379 with a key prefix of the bench's own, \`HERALD_LOG_LEVEL=warn\`, one tenant on the
  \`demo\` plan (5,000 publishes/s, history 1,000). The short test timings of \`startStack\` are replaced by the
  production defaults of \`libs/config\` (key cache 5 s, stalled check 30 s, pending sweep 5 s, …).
- **Everything on one host**: the bench process (publishers and the subscriber) shares the ${m.nproc} cores with
  the servers, Redis and Postgres; its own CPU is in the table.

## Method

- **Clock**: publisher and subscriber are the same process; both sides use \`performance.timeOrigin +
  performance.now()\`. The payload is \`{t, i}\` with \`t\` taken just before the request is written.
  Latency = receive time (first thing in the \`ws\` message handler) − \`t\`, recorded in µs in an
  \`hdr-histogram-js\` histogram (3 significant digits).
- **S-lat**: a fresh channel and a fresh \`ws\` connection per run, subscribed before the first publish. Open
  loop: message *i* is sent at *t0 + i / rate* whatever the earlier answers did (up to
  ${c.rate.concurrency} keep-alive sockets); "sender lag" is how late the sender was against that schedule.
- **S-rate**: ${c.rate.concurrency} closed-loop publishers (\`node:http\` with \`http.Agent({keepAlive: true})\`)
  send ${c.rate.messages} messages round-robin over ${c.rate.channels} fresh channels; one \`ws\` connection subscribes to all of
  them in one \`subscribe\` frame before the start. accepted/s = messages ÷ time until the last 200;
  drained/s = messages ÷ time until the subscriber holds all of them. Both clocks start at the first publish.
- **Gaps / duplicates**: per channel, every offset a publish answer returned must arrive exactly once, and the
  returned offsets must be contiguous. Out-of-order deliveries are counted separately (informational).
- **CPU**: utime+stime of each process from \`/proc/<pid>/stat\` before the run (after the subscriber is
  subscribed) and after the drain + 200 ms; redis-server is the \`pgrep -x redis-server\` process serving
  :6379 — shared with anything else using that Redis, so its figure is an upper bound on a busy machine;
  Postgres = the backends connected to \`herald_bench\` (\`pg_stat_activity\`), WAL writer etc. not included.
- **Cores busy**: CPU-seconds of all measured processes (servers, Redis, Postgres backends, bench) ÷ the
  run's wall time; close to ${m.nproc} means this machine's CPU, shared by everything above, set the ceiling.
- **Warm-up**: ${c.warmup} messages over 10 channels at ${c.rate.concurrency} publishers before the first run, not measured.
- **Cleanup**: all processes are stopped at the end and the keys under the bench's Redis prefix deleted;
  \`herald_bench\` keeps its archived messages.
`);
  return `${out.join('\n')}`;
}
