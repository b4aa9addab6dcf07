import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, freePort, waitFor } from '@herald/testing';

/** Debian's nginx (the bench's Nchan peer runs the same binary). */
export const NGINX = '/usr/sbin/nginx';
/** The example configuration docs/scaling.md points to: the test runs this file, not a copy of it. */
export const EXAMPLE_CONFIG = path.join(ROOT, 'deploy/nginx/herald.conf');

export interface Nginx {
  /** http://127.0.0.1:<port>: the one address in front of the gateways and the API. */
  url: string;
  stop(): Promise<void>;
}

/**
 * The example with the stack's addresses: each upstream's `server` lines replaced by the given ports
 * and `listen 80;` by a loopback port. Throws when the example lost the shape this relies on, so a
 * change to it cannot leave the test running something else.
 */
export function localConfig(example: string, ports: { listen: number; gateways: number[]; api: number[] }): string {
  let text = example;
  for (const [name, list] of [['herald_gateways', ports.gateways], ['herald_api', ports.api]] as const) {
    const block = new RegExp(`upstream ${name} \\{([^}]*)\\}`);
    const body = block.exec(text)?.[1];
    if (body === undefined) throw new Error(`${EXAMPLE_CONFIG}: no "upstream ${name} { … }" block`);
    const lines = body.split('\n');
    const kept = lines.filter((l) => !/^\s*server\s/.test(l));
    if (kept.length === lines.length) throw new Error(`${EXAMPLE_CONFIG}: upstream ${name} has no server line`);
    const servers = list.map((p) => `    server 127.0.0.1:${p};`);
    text = text.replace(block, () => `upstream ${name} {\n${servers.join('\n')}${kept.join('\n')}}`);
  }
  if (!/^\s*listen 80;$/m.test(text)) throw new Error(`${EXAMPLE_CONFIG}: no "listen 80;" line`);
  return text.replace(/^\s*listen 80;$/m, `    listen 127.0.0.1:${ports.listen};`);
}

/**
 * nginx from a temporary prefix (`nginx -p <tmp> -c <tmp>/nginx.conf`, one worker, in the foreground):
 * an nginx.conf that includes the example, with the stack's ports. Never reads or touches /etc/nginx.
 */
export async function startNginx(ports: { gateways: number[]; api: number[] }): Promise<Nginx> {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} is missing: apt-get install nginx (the nginx example's test runs it)`);
  const example = readFileSync(EXAMPLE_CONFIG, 'utf8');
  // A port found free may be taken before nginx binds it: try again with another.
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(path.join(tmpdir(), 'herald-nginx-'));
    chmodSync(dir, 0o755);
    for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, d));
    const listen = await freePort();
    writeFileSync(path.join(dir, 'herald.conf'), localConfig(example, { listen, ...ports }));
    writeFileSync(
      path.join(dir, 'nginx.conf'),
      `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
daemon off;
${process.getuid?.() === 0 ? 'user root;' : ''}
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/herald.conf;
}
`,
    );
    const proc = spawn(NGINX, ['-p', `${dir}/`, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: 'ignore' });
    const url = `http://127.0.0.1:${listen}`;
    const stop = async () => {
      await stopProcess(proc);
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      // /health through nginx is the API's: nginx is up and proxying.
      await waitFor(
        async () => {
          if (proc.exitCode !== null) throw new Error(`nginx exited with ${proc.exitCode}: ${readLog(dir)}`);
          return (await fetch(`${url}/health`).catch(() => undefined))?.ok === true;
        },
        { what: 'nginx in front of the stack' },
      );
      return { url, stop };
    } catch (e) {
      const log = readLog(dir);
      await stop();
      if (attempt === 3 || !log.includes('Address already in use')) throw e;
    }
  }
}

function readLog(dir: string): string {
  const file = path.join(dir, 'error.log');
  return existsSync(file) ? readFileSync(file, 'utf8').slice(-2000) : '';
}

/** SIGTERM (nginx's fast shutdown: the workers go with the master), SIGKILL when it hangs. */
async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
