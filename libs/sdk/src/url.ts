/**
 * Endpoints from GoEasy-style options: `host` is a bare `host:port` (plain unless `forceTLS`) or a
 * full URL (`https://rt.example.com/base`), whose scheme wins. Pages served over https get TLS.
 */
export interface Endpoints {
  /** http(s)://host[:port][/base] without a trailing slash. */
  http: string;
  /** ws(s)://host[:port][/base] */
  ws: string;
}

export function endpoints(host: string, forceTLS: boolean | undefined): Endpoints {
  const trimmed = host.trim().replace(/\/+$/, '');
  let http: string;
  if (/^[a-z]+:\/\//i.test(trimmed)) {
    http = trimmed.replace(/^ws(s?):\/\//i, 'http$1://');
  } else {
    const pageTLS = typeof location !== 'undefined' && location.protocol === 'https:';
    http = `${forceTLS || pageTLS ? 'https' : 'http'}://${trimmed}`;
  }
  return { http, ws: http.replace(/^http/i, 'ws') };
}

export type Query = Array<[string, string | number | boolean | undefined]>;

export function withQuery(base: string, query: Query): string {
  const parts = query.filter(([, v]) => v !== undefined && v !== false).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v === true ? '1' : String(v))}`);
  return parts.length ? `${base}?${parts.join('&')}` : base;
}
