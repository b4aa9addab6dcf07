// The Nchan peer as a bench target: Debian's nginx + libnginx-mod-nchan, installed with apt-get when
// missing (non-interactive). nginx runs from a temporary prefix with a generated nginx.conf
// (`nginx -p <tmp> -c <tmp>/nginx.conf`, master + 2 workers, `daemon off`) and never reads or touches
// the system's /etc/nginx. One location per role:
//   /sub?channel=<c>  nchan_subscriber (websocket, eventsource, longpoll; first message = newest)
//   /pub?channel=<c>  nchan_publisher (HTTP POST, the body is the message)
// With a Redis URL it is the durable peer `Nchan+Redis` (S3, S4): both locations store in that Redis
// (`nchan_redis_pass`, `nchan_redis_storage_mode distributed`), the bench's own redis-server.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, httpPoster } from '../load/http.mjs';
import { childPids } from './process.mjs';

const MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';
const NGINX = '/usr/sbin/nginx';

/** Installs nginx + the Nchan module when missing. Returns null when usable, else why not. */
export function ensureNchan(log = console.log) {
  if (existsSync(NGINX) && existsSync(MODULE)) return null;
  if (process.getuid?.() !== 0) return 'nginx/libnginx-mod-nchan are not installed and the bench is not root (apt-get install nginx libnginx-mod-nchan)';
  log('installing Debian packages nginx and libnginx-mod-nchan (apt-get, non-interactive)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const opts = { env, encoding: 'utf8', timeout: 600_000 };
  let r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'nginx', 'libnginx-mod-nchan'], opts);
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-q'], opts);
    r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'nginx', 'libnginx-mod-nchan'], opts);
  }
  if (r.status !== 0 || !existsSync(MODULE)) return `apt-get install nginx libnginx-mod-nchan failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' ')}`;
  return null;
}

export function nchanVersion() {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'libnginx-mod-nchan'], { encoding: 'utf8' });
  const n = spawnSync(NGINX, ['-v'], { encoding: 'utf8' });
  return { nchan: r.status === 0 ? r.stdout.trim() : null, nginx: (n.stderr || '').trim().replace(/^nginx version: /, '') };
}

/** With Redis storage (`redisUrl`): every message is stored in Redis before it is delivered (Nchan's durable mode). */
function redisStorage(redisUrl) {
  return redisUrl ? '\n      nchan_redis_pass bench_redis;\n      nchan_redis_storage_mode distributed;' : '';
}

function config({ dir, port, bufferLength, workers, redisUrl }) {
  return `load_module ${MODULE};
worker_processes ${workers};
worker_rlimit_nofile 20000;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
daemon off;
master_process on;
user root;
events { worker_connections 19000; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  nchan_max_reserved_memory 512M;${redisUrl ? `\n  upstream bench_redis { nchan_redis_server "${redisUrl}"; }` : ''}
  server {
    listen 127.0.0.1:${port} backlog=16384;
    location = /pub {
      nchan_publisher http;
      nchan_channel_id $arg_channel;
      nchan_message_buffer_length ${bufferLength};
      nchan_message_timeout 10m;${redisStorage(redisUrl)}
    }
    location = /sub {
      nchan_subscriber websocket eventsource longpoll;
      nchan_channel_id $arg_channel;
      nchan_subscriber_first_message newest;
      nchan_websocket_ping_interval 0;${redisStorage(redisUrl)}
    }
  }
}
`;
}

/**
 * Starts nginx + Nchan; throws when it does not come up. With `redisUrl`, the durable variant
 * (`Nchan+Redis`: messages stored in that Redis, `nchan_redis_storage_mode distributed`).
 */
export async function startNchan({ bufferLength = 1000, workers = 2, redisUrl } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-nchan-'));
  chmodSync(dir, 0o755);
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
  const port = await freePort();
  writeFileSync(join(dir, 'nginx.conf'), config({ dir, port, bufferLength, workers, redisUrl }));
  const master = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  master.stdout.on('data', (d) => (out += d));
  master.stderr.on('data', (d) => (out += d));
  const poster = httpPoster(port);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await poster.post('/pub?channel=bench-nchan-probe', '{}');
    if (r.status >= 200 && r.status < 300 && childPids(master.pid).length >= workers) break;
    if (master.exitCode !== null || Date.now() > deadline) {
      master.kill('SIGKILL');
      const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
      throw new Error(`nginx did not start: ${out} ${log}`.slice(0, 1500));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const sub = (channel) => `127.0.0.1:${port}/sub?channel=${encodeURIComponent(channel)}`;
  return {
    name: redisUrl ? 'nchan-redis' : 'nchan',
    label: redisUrl ? 'Nchan+Redis' : 'Nchan',
    transports: redisUrl ? ['ws'] : ['ws', 'sse', 'poll'],
    usesRedis: Boolean(redisUrl),
    dir,
    conn: (transport, channel) =>
      transport === 'ws'
        ? { kind: 'peer-ws', url: `ws://${sub(channel)}`, channel }
        : { kind: transport === 'sse' ? 'peer-sse' : 'nchan-poll', url: `http://${sub(channel)}`, channel },
    publish: (channel, payload) => poster.post(`/pub?channel=${encodeURIComponent(channel)}`, payload),
    pids: () => Object.fromEntries([['nginx-master', master.pid], ...childPids(master.pid).map((p, k) => [`nginx-worker-${k + 1}`, p])]),
    stop: async () => {
      poster.close();
      const workers = childPids(master.pid);
      if (master.exitCode === null) {
        const exited = new Promise((r) => master.once('exit', r));
        master.kill('SIGTERM');
        const t = setTimeout(() => master.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      // Workers exit with the master; make sure none is left behind.
      for (const pid of workers) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
    /** Fresh processes (S1 measures memory from a clean start): this object takes the new one's place. */
    async restart() {
      await this.stop();
      Object.assign(this, await startNchan({ bufferLength, workers, redisUrl }));
    },
  };
}
