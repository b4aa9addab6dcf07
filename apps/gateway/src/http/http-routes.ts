import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** A transport endpoint served straight from Node's HTTP server, before Express and Nest's router. */
export interface HttpRoute {
  /** The path it answers (`/poll`), with or without a trailing slash; the query is the route's own. */
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * Long-polling makes one HTTP request per delivery, and SSE opens one per connection: on those paths
 * Express's router, its body parsers (run for every request, GET included) and Nest's route pipeline
 * were a third of the gateway's CPU (issue 8 profile). These routes take the request first; every
 * other path goes on to the framework exactly as before.
 */
export function serveBeforeFramework(server: Server, routes: HttpRoute[]): void {
  const byPath = new Map<string, HttpRoute>();
  for (const r of routes) {
    byPath.set(r.path, r);
    byPath.set(`${r.path}/`, r);
  }
  const framework = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const route = byPath.get(q < 0 ? url : url.slice(0, q));
    if (route) return route.handle(req, res);
    for (const listener of framework) listener.call(server, req, res);
  });
}
