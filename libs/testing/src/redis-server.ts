import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './processes.js';
import { waitFor } from './wait.js';
import { Redis } from 'ioredis';

/** A Redis of the test's own (Debian's redis-server), to flush, restart or run with AOF. */
export class TestRedis {
  private proc?: ChildProcess;
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly aof: boolean,
  ) {}

  static async start(opts: { aof?: boolean } = {}): Promise<TestRedis> {
    const r = new TestRedis(await freePort(), mkdtempSync(path.join(tmpdir(), 'herald-redis-')), opts.aof ?? false);
    await r.boot();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async boot(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir, '--maxmemory-policy', 'noeviction'];
    if (this.aof) args.push('--appendonly', 'yes', '--appendfsync', 'always');
    else args.push('--appendonly', 'no');
    this.proc = spawn('redis-server', args, { stdio: 'ignore' });
    await waitFor(async () => {
      const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => undefined); // refused until the server listens: that is what we wait for
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } finally {
        c.disconnect();
      }
    }, { what: 'test redis up' });
  }

  client(): Redis {
    return new Redis(this.url);
  }

  /** Kills the server (no shutdown save) and starts it again on the same port and directory. */
  async restart(): Promise<void> {
    await this.kill();
    await this.boot();
  }

  async kill(): Promise<void> {
    const p = this.proc;
    // A killed process has a signalCode and no exitCode: without the second check a kill() after kill() waits forever.
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
