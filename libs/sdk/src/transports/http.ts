import { ConnectionLost, HeraldError, protocolError } from '../errors.js';
import type { FetchLike } from '../types.js';
import { CLOSE_CODES, isTerminalClose } from '../wire.js';

/**
 * Reasons that refuse the connection itself, so no retry can fix them: those a WebSocket is closed
 * for with a terminal (44xx) code. Over HTTP, invalid_request is about one request, not the connection.
 */
function isTerminalReason(reason: string): boolean {
  const code: number | undefined = (CLOSE_CODES as Record<string, number>)[reason];
  return code !== undefined && isTerminalClose(code) && reason !== 'invalid_request';
}

export type Verdict =
  | { kind: 'ok' }
  | { kind: 'network'; error: HeraldError }
  | { kind: 'unavailable'; error: HeraldError }
  | { kind: 'terminal'; error: HeraldError }
  | { kind: 'retry'; error: HeraldError }
  | { kind: 'request'; error: HeraldError };

/** Sorts a refusal: transport switched off, connection refused, temporary, or about the request. */
export function judge(error: HeraldError): Exclude<Verdict, { kind: 'ok' }> {
  if (error.reason === 'not_found') return { kind: 'unavailable', error };
  if (isTerminalReason(error.reason)) return { kind: 'terminal', error };
  if (error.code >= 500 || error.code === 408 || error.reason === 'rate_limited') return { kind: 'retry', error };
  return { kind: 'request', error };
}

export function requireFetch(f: FetchLike | undefined): FetchLike {
  const found = f ?? (typeof fetch === 'function' ? fetch.bind(globalThis) : undefined);
  if (!found) throw protocolError(500, 'internal_error', 'No fetch available: pass options.fetch');
  return found;
}

/** The error a non-2xx Herald answer carries (`{code, content, reason}`), or one made from the status. */
export async function errorOf(res: Response): Promise<HeraldError> {
  try {
    const b = (await res.json()) as { code?: unknown; content?: unknown; reason?: unknown };
    if (typeof b.reason === 'string') return new HeraldError(typeof b.code === 'number' ? b.code : res.status, b.reason, String(b.content ?? res.statusText));
  } catch {
    // not JSON: a proxy's page, say
  }
  return new HeraldError(res.status, res.status >= 500 ? 'unavailable' : 'invalid_request', `HTTP ${res.status}`);
}

export function networkError(e: unknown): HeraldError {
  return new ConnectionLost(`Network error: ${e instanceof Error ? e.message : String(e)}`);
}

/** GET/POST returning parsed JSON; a refusal throws its HeraldError. */
export async function fetchJson<T>(f: FetchLike, url: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await f(url, init);
  } catch (e) {
    throw networkError(e);
  }
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

/**
 * Asks the gateway what it thinks of a stream URL without keeping the stream: EventSource cannot read
 * a refusal's status or body, fetch can. A 200 (the stream would work) is aborted at once.
 */
export async function probe(f: FetchLike, url: string): Promise<Verdict> {
  const ctl = new AbortController();
  let res: Response;
  try {
    res = await f(url, { signal: ctl.signal, headers: { accept: 'text/event-stream, application/json' } });
  } catch (e) {
    return { kind: 'network', error: networkError(e) };
  }
  if (res.ok) {
    ctl.abort();
    return { kind: 'ok' };
  }
  return judge(await errorOf(res));
}
