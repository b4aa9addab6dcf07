import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy the test controls: `cut()` drops every open connection (a network failure as the client
 * sees it), `retarget()` sends new connections to another server (a client landing on another gateway),
 * or with `null` drops them at once (a server that is down: no free port to point at, which another
 * process could take meanwhile).
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    private target: number | null,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, targetPort);
    server.on('connection', (client) => proxy.pipe(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  retarget(port: number | null): void {
    this.target = port;
  }

  cut(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private pipe(client: Socket): void {
    if (this.target === null) {
      client.on('error', () => undefined);
      client.destroy();
      return;
    }
    const upstream = connect(this.target, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
