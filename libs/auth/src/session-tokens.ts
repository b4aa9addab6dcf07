import { randomBytes } from 'node:crypto';
import { keyDigest } from './app-keys.js';

/** Bearer tokens for accounts (dashboard and management API). Only the digest is stored. */
export function newSessionToken(): { token: string; digest: string } {
  const token = `hs_${randomBytes(32).toString('base64url')}`;
  return { token, digest: keyDigest(token) };
}
