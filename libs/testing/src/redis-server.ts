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
    public port: number,
    readonly dir: string,
    private readonly aof: boolean,
  ) {}

  static async start(opts: { aof?: boolean } = {}): Promise<TestRedis> {
    const r = new TestRedis(await freePort(), mkdtempSync(path.join(tmpdir(), 'herald-redis-')), opts.aof ?? false);
    await r.boot(true);
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * Starts redis-server on `port`. Redis cannot pick its own port and report it, so the port is chosen
   * free beforehand; another process may take it in between: a first boot then moves to another port
   * (a restart keeps its port, which only it held).
   */
  private async boot(firstBoot = false): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.bootOn(this.port);
      } catch (e) {
        if (!firstBoot || attempt === 5) throw e;
        this.port = await freePort();
      }
    }
  }

  private async bootOn(port: number): Promise<void> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir, '--maxmemory-policy', 'noeviction'];
    if (this.aof) args.push('--appendonly', 'yes', '--appendfsync', 'always');
    else args.push('--appendonly', 'no');
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    this.proc = proc;
    await waitFor(async () => {
      if (proc.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${proc.exitCode}`);
      const c = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => undefined); // refused until the server listens: that is what we wait for
      try {
        await c.connect();
        // Ours, not another test's Redis that won the port: a server that lost it exits at once.
        return (await c.info('server')).includes(`process_id:${proc.pid}\r\n`);
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
