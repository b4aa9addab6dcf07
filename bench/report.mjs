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

const TRANSPORT_LABEL = { ws: 'WebSocket', sse: 'SSE', poll: 'long-polling' };

/** Per-transport medians over the runs of S-transports. */
function transportSummary(report) {
  const runs = report.runs.transports ?? [];
  const out = {};
  for (const tr of [...new Set(runs.map((r) => r.transport))]) {
    const rs = runs.filter((r) => r.transport === tr);
    out[tr] = {
      runs: rs.length,
      p50: med(rs, (r) => r.latencyMs.p50),
      p90: med(rs, (r) => r.latencyMs.p90),
      p99: med(rs, (r) => r.latencyMs.p99),
      max: med(rs, (r) => r.latencyMs.max),
      fromServerP50: med(rs, (r) => r.fromServerTimeMs?.p50),
      fromServerP99: med(rs, (r) => r.fromServerTimeMs?.p99),
      achievedSendRate: med(rs, (r) => r.achievedSendRate),
      acceptedRate: med(rs, (r) => r.acceptedRate),
      maxInflight: Math.max(...rs.map((r) => r.maxInflight)),
      received: rs.reduce((t, r) => t + r.received, 0),
      accepted: rs.reduce((t, r) => t + r.accepted, 0),
      publishAnswerP50: med(rs, (r) => r.publishAnswerMs.p50),
      publishAnswerP99: med(rs, (r) => r.publishAnswerMs.p99),
      gaps: rs.reduce((t, r) => t + r.gaps, 0),
      duplicates: rs.reduce((t, r) => t + r.duplicates, 0),
      outOfOrder: rs.reduce((t, r) => t + r.outOfOrder, 0),
      cpuPer1k: cpuMedians(rs),
      coresBusy: med(rs, (r) => r.coresBusy),
    };
    if (tr === 'poll') {
      const st = (r) => r.transportStats;
      Object.assign(out[tr], {
        pollsPerSec: med(rs, (r) => round(st(r).polls / (r.messages / r.targetRate), 1)),
        messagesPerAnswer: med(rs, (r) => st(r).messagesPerAnswer.mean),
        messagesPerAnswerMax: Math.max(...rs.map((r) => st(r).messagesPerAnswer.max ?? 0)),
        roundTripP50: med(rs, (r) => st(r).pollRoundTripMs.p50),
        roundTripP99: med(rs, (r) => st(r).pollRoundTripMs.p99),
        emptyPollP50: med(rs, (r) => st(r).emptyPollMs.p50),
        emptyPollP99: med(rs, (r) => st(r).emptyPollMs.p99),
      });
    }
    if (tr === 'sse') out[tr].reconnects = rs.reduce((t, r) => t + (r.transportStats?.reconnects ?? 0), 0);
  }
  return out;
}

export function aggregate(report) {
  const { lat = [], rate = [] } = report.runs;
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
    transports: transportSummary(report),
    anomalies: [],
  };
  const a = summary.anomalies;
  const add = (severity, text) => a.push({ severity, text });
  const spread = (vals) => (vals.length > 1 && Math.min(...vals) > 0 ? Math.max(...vals) / Math.min(...vals) : 1);
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
  const tc = report.config.transports;
  for (const r of report.runs.transports ?? []) {
    const tag = `S-transports ${r.transport} run ${r.run}`;
    const non200 = Object.entries(r.statuses).filter(([st]) => st !== '200');
    if (non200.length) add('error', `${tag}: non-200 publish answers ${JSON.stringify(Object.fromEntries(non200))} e.g. ${JSON.stringify(r.publishErrors[0])}`);
    if (!r.drained) add('error', `${tag}: subscriber received ${r.received} of ${r.accepted} accepted messages before the drain timeout`);
    if (r.gaps) add('error', `${tag}: ${r.gaps} offset gap(s)`);
    if (r.duplicates) add('error', `${tag}: ${r.duplicates} duplicate(s)`);
    if (r.unexpected) add('error', `${tag}: ${r.unexpected} delivered offset(s) that no publish answered with`);
    if (r.outOfOrder) add('warn', `${tag}: ${r.outOfOrder} delivery(ies) arrived with a lower offset than the previous one`);
    if (r.subscriberErrors.length) add('warn', `${tag}: subscriber got ${JSON.stringify(r.subscriberErrors[0])}`);
    if (r.achievedSendRate < 0.95 * r.targetRate) {
      add('warn', `${tag}: the publisher itself fell short of ${r.targetRate} msg/s (sent ${r.achievedSendRate}/s, below 95%): latency was measured at a lower rate than asked`);
    } else if (r.acceptedRate < 0.95 * r.targetRate) {
      add('warn', `${tag}: the publisher sent ${r.achievedSendRate}/s but the API answered only ${r.acceptedRate}/s (first send → last answer; publish answer p99 ${r.publishAnswerMs.p99} ms): the server side fell behind the rate, and the queueing is in the latency`);
    }
    if (r.maxInflight >= r.publisherSockets) add('warn', `${tag}: ${r.maxInflight} publishes in flight reached the ${r.publisherSockets} sockets of the agent: some waited for a socket (slow answers, not a slow sender), and that wait is in their latency`);
    if (r.schedulerLagMs.max > 50) add('warn', `${tag}: the open-loop sender ran up to ${r.schedulerLagMs.max} ms late (bench process starved; messages went out in a burst)`);
    if (r.latencyMs.p50 > 20 && r.publishAnswerMs.p50 >= 0.5 * r.latencyMs.p50) {
      add('info', `${tag}: latency p50 ${r.latencyMs.p50} ms is mostly the publish's own wait (publish answer p50 ${r.publishAnswerMs.p50} ms; from the API's \`time\` p50 ${r.fromServerTimeMs?.p50} ms; ${r.coresBusy} cores for the measured processes, load ${r.loadavg?.[0]}): the API queued requests, the run measures CPU contention more than the transport`);
    }
    if (r.latencyMs.max > 10 * Math.max(r.latencyMs.p99, 1)) add('warn', `${tag}: latency spike — max ${r.latencyMs.max} ms vs p99 ${r.latencyMs.p99} ms`);
  }
  for (const [tr, t] of Object.entries(summary.transports)) {
    const p99s = (report.runs.transports ?? []).filter((r) => r.transport === tr).map((r) => r.latencyMs.p99);
    if (spread(p99s) > 2) add('info', `S-transports ${tr} p99 varies ${round(spread(p99s))}× between runs (${p99s.join(', ')} ms): noisy machine`);
    if (t.coresBusy != null && t.coresBusy >= 0.85 * report.machine.nproc) add('info', `S-transports ${tr} keeps ${t.coresBusy} of ${report.machine.nproc} cores busy at ${tc?.rate} msg/s (measured processes only): the machine is near saturation, latency includes CPU queueing`);
  }
  for (const e of report.unexpectedExits ?? []) add('error', `${e.name} exited during the runs (code ${e.code}, signal ${e.signal})`);
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
  for (const [tr, t] of Object.entries(s.transports)) {
    console.log(
      `S-transports ${tr.padEnd(4)} median of ${t.runs}: p50 ${t.p50} ms, p90 ${t.p90} ms, p99 ${t.p99} ms, max ${t.max} ms; sent ${t.achievedSendRate}/s, accepted ${t.acceptedRate}/s; received ${t.received}/${t.accepted}, gaps ${t.gaps}, duplicates ${t.duplicates}` +
        (tr === 'poll' ? `; ${t.pollsPerSec} polls/s, ${t.messagesPerAnswer} msgs/answer, round trip p50 ${t.roundTripP50} ms, empty poll p50 ${t.emptyPollP50} ms` : ''),
    );
  }
  if (!report.runs.lat?.length) {
    for (const a of s.anomalies) console.log(`${a.severity.toUpperCase()}: ${a.text}`);
    return;
  }
  console.log(`S-lat  median of ${report.runs.lat.length}: p50 ${s.lat.p50} ms, p90 ${s.lat.p90} ms, p99 ${s.lat.p99} ms, max ${s.lat.max} ms; gaps ${s.lat.gaps}, duplicates ${s.lat.duplicates}`);
  console.log(`S-rate median of ${report.runs.rate.length}: accepted ${s.rate.acceptedPerSec}/s, drained ${s.rate.drainedPerSec}/s; gaps ${s.rate.gaps}, duplicates ${s.rate.duplicates}`);
  console.log(`CPU-s per 1k msgs (S-rate): ${PROCS.map((p) => `${p} ${s.rate.cpuPer1k[p]}`).join(', ')}`);
  console.log(`CPU-s per 1k msgs (S-lat):  ${PROCS.map((p) => `${p} ${s.lat.cpuPer1k[p]}`).join(', ')}`);
  for (const a of s.anomalies) console.log(`${a.severity.toUpperCase()}: ${a.text}`);
}

const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i ? '---:' : '---')).join('|')}|`, ...rows.map((r) => `| ${r.map((c) => (c == null ? '–' : c)).join(' | ')} |`)].join('\n');

/** The S-transports section (medians, long-polling churn, every run, CPU, method). */
function transportsSection(report) {
  const { summary: s, config: c } = report;
  const tc = c.transports;
  const runs = report.runs.transports ?? [];
  if (!runs.length || !tc) return null;
  const T = s.transports;
  const names = Object.keys(T);
  const poll = T.poll;
  const ws = T.ws;
  const pollRuns = runs.filter((r) => r.transport === 'poll');
  const lines = [];
  lines.push(`## S-transports: one subscriber per transport at ${tc.rate.toLocaleString('en-US')} msg/s

One subscriber on one fresh channel, ${tc.messages.toLocaleString('en-US')} messages published over REST at ${tc.rate.toLocaleString('en-US')} msg/s open loop
(${round(tc.messages / tc.rate)} s per run), latency = delivery to the client − send time in the payload. Medians of ${c.runs} runs per transport; the
transports take turns within each run (ws, sse, poll, ws, …) so the shared machine's noise falls on all of them.

${table(
    ['Transport', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'from API time p50/p99 ms', 'sent msg/s', 'accepted msg/s', 'received', 'gaps', 'dups', 'publish answer p50/p99 ms', 'publishes in flight (max)', 'cores busy'],
    names.map((tr) => {
      const t = T[tr];
      return [TRANSPORT_LABEL[tr] ?? tr, `**${t.p50}**`, t.p90, `**${t.p99}**`, t.max, `${t.fromServerP50} / ${t.fromServerP99}`, t.achievedSendRate, t.acceptedRate, `${t.received}/${t.accepted}`, t.gaps, t.duplicates, `${t.publishAnswerP50} / ${t.publishAnswerP99}`, `${t.maxInflight} of ${tc.sockets}`, t.coresBusy];
    }),
  )}

"from API time" is delivery − the message's \`time\` (\`Date.now()\` when the API took the publish in hand; 1 ms
resolution): the latency without the publish request's wait before the API handled it. "sent" is the open-loop sender's dispatch rate (messages ÷ first-to-last send), "accepted" the 200 answers ÷ first
send to last answer; both must stay within 95 % of the target or the run is flagged below (the publisher must not
be the bottleneck). Received/gaps/dups are summed over the runs.

At this rate the measured processes need about ${round(Math.max(...runs.map((r) => r.coresBusy)), 2)} of the ${report.machine.nproc} cores (the busiest run); on a shared machine any other
load leaves the API short of CPU, publishes queue in it (publish answer time ≈ delivery latency, many publishes in
flight) and the latency of that run is the queue's, whatever the transport. Such runs are listed under Anomalies;
compare transports on the runs without them, and on "from API time", which leaves the publish queue out.
`);
  if (poll) {
    const ratio = ws?.p50 ? round(poll.p50 / ws.p50) : null;
    lines.push(`### Long-polling: request churn

${table(
      ['Figure (median of runs)', 'Value'],
      [
        ['polls answered per second', poll.pollsPerSec],
        ['messages per answer (mean / largest seen)', `${poll.messagesPerAnswer} / ${poll.messagesPerAnswerMax}`],
        ['poll round trip, request written → answer parsed, p50 / p99', `${poll.roundTripP50} / ${poll.roundTripP99} ms`],
        ['empty poll (\`wait=0\` at the tip, nothing to send: the fixed cost of one poll), p50 / p99', `${poll.emptyPollP50} / ${poll.emptyPollP99} ms`],
        ['latency p50 / p99', `${poll.p50} / ${poll.p99} ms${ratio ? ` (${ratio}× WebSocket's p50)` : ''}`],
      ],
    )}

Each poll is a fresh request: authenticate the key, open a session, subscribe from the cursor (read the channel's
history after it from Redis), answer, close. A message published while a poll is held goes out at once (with
whatever else arrived in the same turn); one published between an answer and the next request waits for that
next request to reach the gateway and replay it from history. At ${tc.rate.toLocaleString('en-US')} msg/s a poll is rarely held: answers
batch the messages that arrived during the previous cycle, so the cycle time (≈ the round trip) sets the latency.
${ws && poll.roundTripP50 != null ? `Half a poll cycle (round trip p50 ÷ 2) is ${round(poll.roundTripP50 / 2, 2)} ms; long-polling's p50 exceeds WebSocket's by ${round(poll.p50 - ws.p50, 2)} ms and its p99 by ${round(poll.p99 - ws.p99, 2)} ms. Of a round trip, ${poll.emptyPollP50} ms (p50) is the fixed per-request cost measured on empty polls; the rest is the answer's batch (${poll.messagesPerAnswer} messages) and the CPU the machine could spare.` : ''}
${pollRuns.map((r, i) => `Run ${r.run}: ${r.transportStats.polls} polls, ${r.transportStats.emptyAnswers} empty, ${r.transportStats.messagesPerAnswer.mean} msgs/answer (p50 ${r.transportStats.messagesPerAnswer.p50}, max ${r.transportStats.messagesPerAnswer.max}), round trip p50/p99 ${r.transportStats.pollRoundTripMs.p50} / ${r.transportStats.pollRoundTripMs.p99} ms.`).join('\n')}
`);
  }
  lines.push(`### S-transports runs

${table(
    ['Run', 'Transport', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'from API time p50/p99 ms', 'sent msg/s', 'accepted msg/s', 'received', 'gaps', 'dups', 'out of order', 'publish answer p50/p99 ms', 'in flight max', 'sender lag max ms', 'cores busy', 'loadavg 1m'],
    runs.map((r) => [r.run, r.transport, r.latencyMs.p50, r.latencyMs.p90, r.latencyMs.p99, r.latencyMs.p999, r.latencyMs.max, `${r.fromServerTimeMs?.p50} / ${r.fromServerTimeMs?.p99}`, r.achievedSendRate, r.acceptedRate, `${r.received}/${r.accepted}`, r.gaps, r.duplicates, r.outOfOrder, `${r.publishAnswerMs.p50} / ${r.publishAnswerMs.p99}`, r.maxInflight, r.schedulerLagMs.max, r.coresBusy, r.loadavg?.[0]]),
  )}

Server CPU, CPU-seconds per 1,000 messages (median per transport; every run in benchmarks.json):

${table(
    ['Process', ...names.map((tr) => TRANSPORT_LABEL[tr] ?? tr)],
    PROCS.map((p) => [PROC_LABEL[p], ...names.map((tr) => T[tr].cpuPer1k[p])]),
  )}
`);
  return lines.join('\n');
}

export function writeReport(report) {
  const { summary: s, config: c, machine: m, software: v } = report;
  const { lat = [], rate = [] } = report.runs;
  const tc = c.transports;
  const carried = Object.entries(report.scenarioMeta ?? {}).filter(([, meta]) => meta.carriedOver);
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
      ...Object.entries(s.transports).map(([tr, t]) => [
        `S-transports: ${TRANSPORT_LABEL[tr] ?? tr}, 1 subscriber, ${tc.rate} msg/s open-loop (sent ${t.achievedSendRate}/s)`,
        `p50 **${t.p50} ms**, p90 ${t.p90} ms, p99 **${t.p99} ms**, max ${t.max} ms`,
      ]),
      [
        'Gaps / duplicates by offset (all runs)',
        `${s.lat.gaps + s.rate.gaps + Object.values(s.transports).reduce((x, t) => x + t.gaps, 0)} / ${s.lat.duplicates + s.rate.duplicates + Object.values(s.transports).reduce((x, t) => x + t.duplicates, 0)}`,
      ],
    ],
  )}
${carried.length ? `\n> Not re-run this time (\`--only ${c.scenarios.join(',')}\`): ${carried.map(([sc, meta]) => `S-${sc} is from ${meta.date} at ${meta.gitCommit}`).join('; ')}. Those figures and runs are carried over from that report.\n` : ''}
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

  const ts = transportsSection(report);
  if (ts) out.push(ts);

  out.push(`## Setup

- **Date**: ${report.date} (${report.durationSeconds} s for the whole bench)
- **Machine**: ${m.nproc} CPU(s), ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.kernel}; load average at start ${m.loadavgAtStart.join(' / ')}.
  A shared development machine: other sessions' builds and tests may run at the same time.
- **Software**: Node ${v.node}, Redis ${v.redis}, PostgreSQL ${v.postgres}; Herald at ${v.gitCommit}${v.uncommittedServerFiles ? ` with ${v.uncommittedServerFiles} uncommitted file(s) under apps/ and libs/ (the build in dist/ is what ran)` : ''}.
- **Command**: \`${envLine ? `${envLine} ` : ''}${report.command ?? 'npm run bench'}\` (defaults: BENCH_RUNS=3, BENCH_LAT_MESSAGES=1000, BENCH_LAT_RATE=200,
  BENCH_RATE_MESSAGES=5000, BENCH_RATE_CONCURRENCY=32, BENCH_RATE_CHANNELS=100, BENCH_WARMUP=1000,
  BENCH_TRANSPORT_RATE=1000, BENCH_TRANSPORT_COUNT=5000, BENCH_TRANSPORT_SOCKETS=256, BENCH_TRANSPORTS=ws,sse,poll;
  \`--only transports\` runs one scenario). This run: ${c.runs} runs, S-lat ${c.lat.messages} msgs at ${c.lat.rate} msg/s, S-rate ${c.rate.messages} msgs / ${c.rate.concurrency} publishers / ${c.rate.channels} channels${tc ? `, S-transports ${tc.messages} msgs at ${tc.rate} msg/s over ${tc.list.join(', ')}` : ''}, warm-up ${c.warmup}.
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
- **S-transports**: per run and transport, a fresh channel and a fresh subscriber, ready before the first publish:
  WebSocket = the \`ws\` subscriber above; SSE = the \`eventsource\` package's \`EventSource\` on
  \`GET /sse?appkey&channel\` (ready at its \`subscribed\` event; latency taken in \`onmessage\`); long-polling =
  \`node:http\` on one keep-alive socket, a first \`GET /poll?…&wait=0\` for the starting cursor, then one held poll
  after another carrying the last answer's cursor (latency taken when the answer is parsed, the same for every
  message in it). Before publishing, 50 sequential \`wait=0\` polls at the tip measure the fixed cost of a poll.
  Publishing: the S-lat open loop, through an agent of its own with ${tc?.sockets ?? 256} keep-alive sockets so a publish never waits
  for a socket at this rate (the in-flight peak is reported; reaching the socket count is flagged). CPU as for S-lat.
- **Warm-up**: ${c.warmup} messages over 10 channels at ${c.rate.concurrency} publishers before the first run, not measured; S-transports
  adds one unmeasured pass of ${Math.min(1000, c.warmup)} messages per transport at its rate (the SSE and poll paths are otherwise cold).
- **Cleanup**: all processes are stopped at the end and the keys under the bench's Redis prefix deleted;
  \`herald_bench\` keeps its archived messages.
`);
  return `${out.join('\n')}`;
}
