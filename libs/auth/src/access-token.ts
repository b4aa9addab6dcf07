import { createHmac } from 'node:crypto';
import { constantTimeEqual } from './app-keys.js';

/**
 * Access tokens (GoEasy-shaped): HS256 JWTs signed with the app's secret key, claims
 * `{ id?, channel, r, w, exp }` — who (`id`, checked against the connection's user id when given),
 * which channel, read and/or write, until when (seconds, at most 3 h ahead).
 */
export interface AccessClaims {
  id?: string;
  channel: string;
  r: boolean;
  w: boolean;
  /** Expiry, seconds since the epoch. */
  exp: number;
  iat?: number;
}

export const MAX_TOKEN_TTL_S = 3 * 3600;
/** Clock skew tolerated between the minting server and Herald. */
const SKEW_S = 60;
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

export function signAccessToken(secret: string, claims: AccessClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const sig = createHmac('sha256', secret).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${sig}`;
}

export type TokenProblem = 'malformed' | 'bad_signature' | 'expired' | 'too_long_lived';

export type TokenCheck = { ok: true; claims: AccessClaims } | { ok: false; problem: TokenProblem };

/**
 * Verifies against every secret the app accepts now (two during a rotation's grace period).
 * Signatures compare in constant time; only HS256 is accepted (no `alg: none`, no key confusion).
 */
export function verifyAccessToken(token: string, secrets: readonly string[], nowMs = Date.now()): TokenCheck {
  if (typeof token !== 'string' || token.length > 4096) return { ok: false, problem: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, problem: 'malformed' };
  const [header, payload, sig] = parts;
  let head: unknown;
  let claims: unknown;
  try {
    head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  if (!isRecord(head) || head.alg !== 'HS256' || !isClaims(claims)) return { ok: false, problem: 'malformed' };
  const signed = `${header}.${payload}`;
  const valid = secrets.some((s) => constantTimeEqual(createHmac('sha256', s).update(signed).digest('base64url'), sig));
  if (!valid) return { ok: false, problem: 'bad_signature' };
  const now = Math.floor(nowMs / 1000);
  if (claims.exp <= now - SKEW_S) return { ok: false, problem: 'expired' };
  if (claims.exp > now + MAX_TOKEN_TTL_S + SKEW_S) return { ok: false, problem: 'too_long_lived' };
  return { ok: true, claims };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isClaims(v: unknown): v is AccessClaims {
  return (
    isRecord(v) &&
    typeof v.channel === 'string' &&
    typeof v.exp === 'number' &&
    Number.isFinite(v.exp) &&
    (v.r === undefined || typeof v.r === 'boolean') &&
    (v.w === undefined || typeof v.w === 'boolean') &&
    (v.id === undefined || typeof v.id === 'string')
  );
}
