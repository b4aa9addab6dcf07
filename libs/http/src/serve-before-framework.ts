import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';

/** An endpoint served straight from Node's HTTP server, before Express and Nest's router. */
export interface HttpRoute {
  /** The path it answers (`/poll`), with or without a trailing slash; the query is the route's own. */
  readonly path: string;
  /** For a family of paths (`/apps/{id}/events`): whether this route serves a path `path` does not name. */
  matches?(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, next: () => void): void;
}

/**
 * The hot paths (the gateway's long-poll and SSE, the API's single publish) take the request first;
 * every other path goes on to the framework exactly as before. On those paths Express's router, its
 * body parsers (run for every request, GET included) and Nest's route pipeline were a third to a half
 * of the process's CPU (bench/findings.md). A route may also hand a request on (`next`), e.g. one it
 * does not serve fast; it must not have written anything then.
 */
export function serveBeforeFramework(server: Server, framework: RequestListener, routes: HttpRoute[]): void {
  const byPath = new Map<string, HttpRoute>();
  for (const r of routes) {
    byPath.set(r.path, r);
    byPath.set(`${r.path}/`, r);
  }
  const patterned = routes.filter((r) => r.matches);
  // Only the framework's own listener is replaced: others (the slow-handshake guard) keep theirs.
  if (!server.listeners('request').includes(framework)) throw new Error('serveBeforeFramework: the framework is not listening on this server');
  server.removeListener('request', framework);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const route = byPath.get(pathname) ?? patterned.find((r) => r.matches!(pathname));
    if (route) route.handle(req, res, () => framework(req, res));
    else framework(req, res);
  });
}
