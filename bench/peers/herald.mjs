// Herald as a bench target: API + 2 gateways (separate ports, subscribers split across them) + 1 worker,
// started by startStack (libs/testing) from dist/ in its default configuration (every timing, limit and
// the log level as `npm start` has them: `timings: 'defaults'`), its own Redis prefix. The
// tenant is on the `bench` plan, which this file upserts into the bench database (herald_bench) so that
// plan caps (10,000 connections and 5,000 publishes/s on `demo`) do not cut a scenario short.
import { httpPoster } from '../load/http.mjs';

/** How long each Herald process may take to start (BENCH_START_TIMEOUT_MS): a loaded machine is slow. */
const START_TIMEOUT_MS = Number(process.env.BENCH_START_TIMEOUT_MS) || 60_000;

export const BENCH_PLAN = {
  id: 'bench',
  maxConnections: 1_000_000,
  maxPublishesPerSecond: 1_000_000,
  maxPayloadBytes: 65536,
  historySize: 1000,
  historyTtlSeconds: 259200,
  maxChannelsPerConnection: 500,
};

export async function upsertBenchPlan(pg) {
  const p = BENCH_PLAN;
  await pg.query(
    `INSERT INTO "Plan" ("id","name","maxConnections","maxMessagesPerDay","maxPublishesPerSecond","maxPayloadBytes","historySize","historyTtlSeconds","maxChannelsPerConnection","anyOrigin")
     VALUES ($1,'Benchmark',$2,NULL,$3,$4,$5,$6,$7,true)
     ON CONFLICT ("id") DO UPDATE SET "maxConnections"=$2,"maxMessagesPerDay"=NULL,"maxPublishesPerSecond"=$3,"maxPayloadBytes"=$4,"historySize"=$5,"historyTtlSeconds"=$6,"maxChannelsPerConnection"=$7,"anyOrigin"=true`,
    [p.id, p.maxConnections, p.maxPublishesPerSecond, p.maxPayloadBytes, p.historySize, p.historyTtlSeconds, p.maxChannelsPerConnection],
  );
}

/** A tenant's publishing side: single and batch REST publishes over keep-alive sockets. */
export function heraldPublisher(apiPort, secret, sockets = 256) {
  const poster = httpPoster(apiPort, { sockets, headers: { authorization: `Bearer ${secret}` } });
  return {
    poster,
    /** payload is the JSON text of the message (bench/load/pace.mjs payload()). */
    publish: (channel, payload) => poster.post('/v1/publish', `{"channel":${JSON.stringify(channel)},"message":${payload}}`),
    publishBatch: (items) => poster.post('/v1/publish/batch', `{"items":[${items.map(({ channel, payload }) => `{"channel":${JSON.stringify(channel)},"message":${payload}}`).join(',')}]}`),
    close: () => poster.close(),
  };
}

/**
 * A tenant on `planId`. Customers pick only selectable plans, so a `bench` tenant is created on `pro`
 * and moved to `bench` in the bench database (as an operator would) before its keys are ever used
 * (nothing has cached it yet).
 */
async function createTenant(testing, apiUrl, pg, planId) {
  const t = await testing.createTenant(apiUrl, { planId: planId === BENCH_PLAN.id ? 'pro' : planId });
  if (planId === BENCH_PLAN.id) await pg.query('UPDATE "App" SET "planId" = $1 WHERE "id" = $2', [BENCH_PLAN.id, t.appId]);
  return t;
}

export async function startHerald({ testing, env, pg, gateways = 2 }) {
  const stack = await testing.startStack({ gateways, workers: 1, timings: 'defaults', env, startTimeoutMs: START_TIMEOUT_MS });
  const apiPort = Number(new URL(stack.apiUrl).port);
  // A failure after the processes started must not leave them running.
  const tenant = await createTenant(testing, stack.apiUrl, pg, BENCH_PLAN.id).catch(async (e) => {
    await stack.stop();
    throw e;
  });
  const pub = heraldPublisher(apiPort, tenant.secret);
  const gw = (i) => stack.gateways[i % stack.gateways.length];
  const key = encodeURIComponent(tenant.subscribeKey);
  return {
    name: 'herald',
    label: 'Herald',
    transports: ['ws', 'sse', 'poll', 'pusher'],
    usesRedis: true,
    usesPostgres: true,
    stack,
    tenant,
    apiPort,
    conn(transport, channel, i, gateway) {
      const g = gateway ?? gw(i);
      const base = g.url; // http://127.0.0.1:<port>
      if (transport === 'ws') return { kind: 'herald-ws', url: `${base.replace('http', 'ws')}/ws?appkey=${key}`, channel };
      // MQTT over TCP on the gateway's MQTT port (startStack gives each gateway a free one).
      if (transport === 'mqtt') return { kind: 'mqtt', host: '127.0.0.1', port: g.listening('mqtt'), username: tenant.subscribeKey, channel, index: i };
      if (transport === 'pusher') return { kind: 'herald-pusher', url: `${base.replace('http', 'ws')}/app/${key}?protocol=7&client=herald-bench&version=1`, channel };
      return { kind: transport === 'sse' ? 'herald-sse' : 'herald-poll', url: `${base}/${transport}?appkey=${key}&channel=${encodeURIComponent(channel)}`, channel };
    },
    publish: pub.publish,
    publishBatch: pub.publishBatch,
    newTenant: async (planId) => {
      const t = await createTenant(testing, stack.apiUrl, pg, planId);
      return { tenant: t, ...heraldPublisher(apiPort, t.secret), key: encodeURIComponent(t.subscribeKey) };
    },
    pids: () => Object.fromEntries([['api', stack.api.proc.pid], ...stack.gateways.filter((g) => g.proc.exitCode === null && g.proc.signalCode === null).map((g, k) => [`gateway-${k + 1}`, g.proc.pid]), ...stack.workers.map((w, k) => [`worker${k ? `-${k + 1}` : ''}`, w.proc.pid])]),
    exited: () => [stack.api, ...stack.gateways, ...stack.workers].filter((a) => a.proc.exitCode !== null || a.proc.signalCode !== null),
    stop: async () => (pub.close(), stack.stop()),
    /** Fresh gateways (they hold the connections; S1 measures memory from a clean start). */
    async restart() {
      const old = stack.gateways.splice(0);
      await Promise.all(old.map((g) => g.stop('SIGKILL')));
      for (let k = 0; k < old.length; k++) await stack.startGateway();
    },
  };
}
