import { spawn, type ChildProcess } from 'node:child_process';
import net, { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { LISTENING_LINE, environment } from '@herald/config';
import { testSettings } from './test-settings.js';
import { waitFor } from './wait.js';

/** Repository root, found from this compiled file (dist/libs/testing/src → root). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export type AppName = 'api' | 'gateway' | 'worker';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A process that runs and is not a zombie waiting for its new parent to reap it. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return true;
  }
}

/**
 * A test's last clean-up of what it started detached (`npm start` and its apps): SIGKILL to each process
 * group, then to any listed process still alive (one that left its group, or outlived it).
 */
export function killLeftovers(groups: number[], pids: number[]): void {
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const pid of pids) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** A unique Redis key prefix per test stack: queues, histories and fan-out never mix between tests. */
export function uniquePrefix(): string {
  return `t${randomBytes(5).toString('hex')}:`;
}

export interface RunningApp {
  name: AppName;
  url: string;
  port: number;
  proc: ChildProcess;
  output: () => string;
  /** The port another listener of the process announced (`mqtt`), once it has. */
  listening(listener: string): number | undefined;
  /** Sends a signal and waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const PORT_VAR: Record<AppName, string> = { api: 'API_PORT', gateway: 'GATEWAY_PORT', worker: 'WORKER_PORT' };

/**
 * Starts one built app (dist/apps/<name>/src/main.js) as a real process on a port the kernel picks
 * (it prints which: LISTENING_LINE) and waits for GET /health. A port chosen here and passed in would
 * race with every other test file doing the same: the loser's readiness probe can reach the winner.
 */
export async function startApp(name: AppName, env: Record<string, string>, timeoutMs = testSettings().startTimeoutMs, execArgv: string[] = []): Promise<RunningApp> {
  const proc = spawn(process.execPath, [...execArgv, path.join(ROOT, 'dist/apps', name, 'src/main.js')], {
    cwd: ROOT,
    env: { ...environment(), ...env, [PORT_VAR[name]]: '0', HERALD_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let port = 0;
  const ports = new Map<string, number>();
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
    // Every listener's line, read while the output is short (they come first): the HTTP one is the app's port.
    if (out.length < 20_000) for (const m of out.matchAll(LISTENING_LINE)) ports.set(m[1], Number(m[2]));
    if (!port) port = ports.get(name) ?? 0;
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  try {
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}:\n${out}`);
        if (!port) return false;
        const r = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
        return r?.ok === true;
      },
      { timeoutMs, what: `${name} /health` },
    );
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  const url = `http://127.0.0.1:${port}`;
  return {
    name,
    url,
    port,
    proc,
    output: () => out,
    listening: (listener: string) => ports.get(listener),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
