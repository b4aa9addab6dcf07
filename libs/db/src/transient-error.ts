/** Codes of failures to reach a store, not of what was asked of it (network, Prisma, SQLSTATE classes; a Redis Cluster shard failing over). */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  'P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2034',
  '40001', '40P01', '55P03', '57014', '57P01', '57P02', '57P03',
]);
const TRANSIENT_SQLSTATE_CLASSES = ['08', '53', '58'];
const TRANSIENT_MESSAGE = /connection (?:is )?(?:closed|terminated|refused|reset|lost)|can't reach database|timed? ?out|too many clients|database system is (?:starting|shutting)|ECONNREFUSED|ECONNRESET|MaxRetriesPerRequest|max retries per request|^(?:CLUSTERDOWN|TRYAGAIN|MASTERDOWN|LOADING|MOVED|ASK)\b|Too many Cluster redirections|Cluster is ended|None of startup nodes is available|Failed to refresh slots cache/i;

/**
 * Whether an error says Postgres or Redis could not be reached or was busy (worth retrying as it is),
 * rather than that the data was refused (22P05, a foreign key, a bad frame) — which retrying would
 * repeat forever. Looks through `cause` and Prisma's `meta`, where driver adapters put the pg error.
 */
export function isTransientStoreError(error: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = error;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const o = e as { code?: unknown; message?: unknown; meta?: { code?: unknown; driverAdapterError?: unknown }; cause?: unknown; originalCode?: unknown };
    for (const code of [o.code, o.originalCode, o.meta?.code]) {
      if (typeof code !== 'string') continue;
      if (TRANSIENT_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && TRANSIENT_SQLSTATE_CLASSES.includes(code.slice(0, 2)))) return true;
    }
    if (typeof o.message === 'string' && TRANSIENT_MESSAGE.test(o.message)) return true;
    e = o.cause ?? o.meta?.driverAdapterError;
  }
  return false;
}
