/** The encodings the gateway and the dashboard keep precompressed, in order of preference (smallest first). */
export type ContentEncoding = 'br' | 'gzip' | 'identity';

/**
 * The encoding to answer with for an `Accept-Encoding` header: brotli, then gzip (of those `available`
 * for this file), else the plain bytes. `q=0` refuses an encoding; `*` stands for every encoding not
 * named (RFC 9110 §12.5.3).
 */
export function chooseEncoding(acceptEncoding: string | undefined, available: readonly ContentEncoding[] = ['br', 'gzip']): ContentEncoding {
  if (!acceptEncoding) return 'identity';
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [rawName, ...params] = part.toLowerCase().split(';');
    const name = rawName.trim();
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  const accepts = (name: string) => (q.get(name) ?? q.get('*') ?? 0) > 0;
  if (available.includes('br') && accepts('br')) return 'br';
  if (available.includes('gzip') && accepts('gzip')) return 'gzip';
  return 'identity';
}
