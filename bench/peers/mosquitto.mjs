// Debian's mosquitto (MQTT broker, C, no durability) as the MQTT bench peer (issue 17), installed with
// apt-get when missing (non-interactive). It runs from a temporary directory with a generated config on
// a free loopback port — never the machine's own broker on 1883, never /etc/mosquitto. Subscribers are
// the load generator's MQTT 3.1.1 QoS 0 clients; messages are published by one MQTT client at QoS 1 (the
// PUBACK is the answer the closed loop waits on, as Herald's REST publish answers once stored).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { freePort } from '../load/http.mjs';

const MOSQUITTO = '/usr/sbin/mosquitto';

/** Installs mosquitto when missing. Returns null when usable, else why not. */
export function ensureMosquitto(log = console.log) {
  if (existsSync(MOSQUITTO)) return null;
  if (process.getuid?.() !== 0) return 'mosquitto is not installed and the bench is not root (apt-get install mosquitto)';
  log('installing the Debian package mosquitto (apt-get, non-interactive)');
  const opts = { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, encoding: 'utf8', timeout: 600_000 };
  let r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'mosquitto'], opts);
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-q'], opts);
    r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'mosquitto'], opts);
  }
  if (r.status !== 0 || !existsSync(MOSQUITTO)) return `apt-get install mosquitto failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' ')}`;
  return null;
}

export function mosquittoVersion() {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'mosquitto'], { encoding: 'utf8' });
  return { mosquitto: r.status === 0 ? r.stdout.trim() : null };
}

function config({ dir, port }) {
  return `listener ${port} 127.0.0.1
allow_anonymous true
persistence false
log_dest file ${dir}/mosquitto.log
log_type error
log_type warning
max_connections -1
set_tcp_nodelay true
user ${userInfo().username}
`;
}

/** Starts mosquitto on a free port; throws when it does not come up. */
export async function startMosquitto() {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mosquitto-'));
  const port = await freePort();
  writeFileSync(join(dir, 'mosquitto.conf'), config({ dir, port }));
  // The open-file limit as high as the hard limit allows (10,000 subscribers + the publisher).
  const child = spawn('sh', ['-c', `ulimit -n $(ulimit -Hn); exec ${MOSQUITTO} -c ${join(dir, 'mosquitto.conf')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  let publisher;
  const deadline = Date.now() + 10_000;
  for (;;) {
    publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, clientId: `bench-publisher-${process.pid}`, reconnectPeriod: 0, connectTimeout: 2000 }).catch(() => undefined);
    if (publisher) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`mosquitto did not start: ${out}`.slice(0, 1500));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const t0 = () => performance.now();
  return {
    name: 'mosquitto',
    label: 'mosquitto',
    transports: ['mqtt'],
    usesRedis: false,
    conn: (transport, channel, i) => ({ kind: 'mqtt', host: '127.0.0.1', port, channel, index: i }),
    /** QoS 1: answered once the broker has it, like an HTTP publish's 200. */
    publish: async (channel, payload) => {
      const at = t0();
      try {
        await publisher.publishAsync(channel, payload, { qos: 1 });
        return { status: 200, ms: t0() - at };
      } catch (e) {
        return { status: 0, ms: t0() - at, error: String(e?.message ?? e) };
      }
    },
    pids: () => ({ mosquitto: child.pid }),
    stop: async () => {
      await publisher.endAsync(true).catch(() => undefined);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
    /** A fresh process (S1-style memory from a clean start): this object takes the new one's place. */
    async restart() {
      await this.stop();
      Object.assign(this, await startMosquitto());
    },
  };
}
