import type { Position } from './wire.js';

/**
 * Stream cursors (libs/protocol/src/cursor.ts): `v1.` + base64url(JSON [[channel, epoch, offset], …]).
 * The SDK writes one from its own positions when it opens an SSE stream or a long-poll, so a client
 * that changes transport or gateway resumes every channel exactly where it stopped.
 */
function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

export function encodeCursor(positions: Iterable<[string, Position]>): string {
  const list: Array<[string, string, number]> = [];
  for (const [channel, p] of positions) if (p.epoch) list.push([channel, p.epoch, p.offset]);
  return `v1.${toBase64Url(JSON.stringify(list))}`;
}

/** Positions in a cursor the gateway sent; an unreadable cursor yields none (never throws). */
export function decodeCursor(cursor: string): Map<string, Position> {
  const out = new Map<string, Position>();
  if (!cursor.startsWith('v1.')) return out;
  try {
    const list: unknown = JSON.parse(fromBase64Url(cursor.slice(3)));
    if (!Array.isArray(list)) return out;
    for (const item of list) {
      if (Array.isArray(item) && typeof item[0] === 'string' && typeof item[1] === 'string' && typeof item[2] === 'number') {
        out.set(item[0], { epoch: item[1], offset: item[2] });
      }
    }
  } catch {
    // not ours to judge: the gateway will answer the next request anyway
  }
  return out;
}
