import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ContentEncoding, EncodedBody } from '@herald/http';

/** A built dashboard file with the `.br` / `.gz` forms the build wrote beside it (apps/dashboard/precompress.ts). */
export interface DashboardFile {
  mtimeMs: number;
  type: string;
  variants: Partial<Record<ContentEncoding, EncodedBody>> & { identity: EncodedBody };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};
const SUFFIX: Record<Exclude<ContentEncoding, 'identity'>, string> = { br: '.br', gzip: '.gz' };
/** The build's own compressed forms are served as encodings of their file, never as files. */
const PRECOMPRESSED = /\.(br|gz)$/;

const mtimeOf = (abs: string) => {
  try {
    const s = statSync(abs);
    return s.isFile() ? s.mtimeMs : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The files of `dir` (dist/dashboard) read into memory once per build: a rebuild while the API runs is
 * seen by the file's mtime. A `.br`/`.gz` sibling older than its file is left out (a stale build), so
 * an encoding never carries other bytes than the plain file.
 */
export class DashboardFiles {
  private readonly cache = new Map<string, DashboardFile>();
  private readonly root: string;

  constructor(dir: string) {
    this.root = path.resolve(dir);
  }

  /** The file at URL path `urlPath`, or undefined when there is none (or the path leaves the directory). */
  get(urlPath: string): DashboardFile | undefined {
    let rel: string;
    try {
      rel = decodeURIComponent(urlPath);
    } catch {
      return undefined;
    }
    if (rel.includes('\0') || PRECOMPRESSED.test(rel)) return undefined;
    const abs = path.resolve(this.root, `.${path.posix.normalize(`/${rel}`)}`);
    if (!abs.startsWith(this.root + path.sep)) return undefined;
    const mtimeMs = mtimeOf(abs);
    if (mtimeMs === undefined) {
      this.cache.delete(abs);
      return undefined;
    }
    const cached = this.cache.get(abs);
    if (cached?.mtimeMs === mtimeMs) return cached;
    const file = load(abs, mtimeMs);
    this.cache.set(abs, file);
    return file;
  }
}

function load(abs: string, mtimeMs: number): DashboardFile {
  const plain = readFileSync(abs);
  const hash = createHash('sha256').update(plain).digest('hex').slice(0, 16);
  const variants: DashboardFile['variants'] = { identity: { body: plain, etag: `"${hash}"` } };
  for (const encoding of ['br', 'gzip'] as const) {
    const sibling = abs + SUFFIX[encoding];
    const siblingMtime = mtimeOf(sibling);
    if (siblingMtime !== undefined && siblingMtime >= mtimeMs) variants[encoding] = { body: readFileSync(sibling), etag: `"${hash}-${encoding}"` };
  }
  return { mtimeMs, type: TYPES[path.extname(abs)] ?? 'application/octet-stream', variants };
}
