import { SignJWT, errors, jwtVerify } from 'jose';

/**
 * Access tokens (GoEasy-shaped): HS256 JWTs signed with the app's secret key, claims
 * `{ id?, channel, r, w, exp }` — who (`id`, checked against the connection's user id when given),
 * which channel, read and/or write, until when (seconds, at most 3 h ahead). Signing and the JWS
 * checks are `jose`'s; the lifetime and claim rules below are Herald's.
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
/** Longer than any token Herald or a customer's signer makes for these claims: refused unread. */
const MAX_TOKEN_LENGTH = 4096;

const keyOf = (secret: string) => new TextEncoder().encode(secret);

export function signAccessToken(secret: string, claims: AccessClaims): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(keyOf(secret));
}

export type TokenProblem = 'malformed' | 'bad_signature' | 'expired' | 'too_long_lived';

export type TokenCheck = { ok: true; claims: AccessClaims } | { ok: false; problem: TokenProblem };

/**
 * Verifies against every secret the app accepts now (two during a rotation's grace period).
 * Signatures compare in constant time (WebCrypto's HMAC verify); only HS256 is accepted (no
 * `alg: none`, no key confusion); expiry allows SKEW_S of clock skew.
 */
export async function verifyAccessToken(token: string, secrets: readonly string[], nowMs = Date.now()): Promise<TokenCheck> {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return { ok: false, problem: 'malformed' };
  for (const secret of secrets) {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, keyOf(secret), { algorithms: ['HS256'], currentDate: new Date(nowMs), clockTolerance: SKEW_S }));
    } catch (e) {
      if (e instanceof errors.JWSSignatureVerificationFailed) continue; // another secret may have signed it
      if (e instanceof errors.JWTExpired) return { ok: false, problem: 'expired' };
      return { ok: false, problem: 'malformed' };
    }
    if (!isClaims(payload)) return { ok: false, problem: 'malformed' };
    if (payload.exp > Math.floor(nowMs / 1000) + MAX_TOKEN_TTL_S + SKEW_S) return { ok: false, problem: 'too_long_lived' };
    return { ok: true, claims: payload };
  }
  return { ok: false, problem: 'bad_signature' };
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
