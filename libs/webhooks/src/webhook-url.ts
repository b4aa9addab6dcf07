import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { HeraldError } from '@herald/protocol';
import { PrivateTargetError, checkResolved } from './public-address.js';

/** Parses and checks a webhook URL's form: http(s), a host, no credentials, at most 2,000 characters. */
export function parseWebhookUrl(raw: unknown): URL {
  if (typeof raw !== 'string' || raw.length > 2000) throw new HeraldError('invalid_webhook_url', 'Webhook URL must be a string of at most 2000 characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new HeraldError('invalid_webhook_url', 'Webhook URL is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HeraldError('invalid_webhook_url', 'Webhook URL must use http or https');
  if (url.username || url.password) throw new HeraldError('invalid_webhook_url', 'Webhook URL must not carry credentials');
  if (!url.hostname) throw new HeraldError('invalid_webhook_url', 'Webhook URL needs a host');
  return url;
}

/**
 * SSRF rule (on unless HERALD_WEBHOOKS_ALLOW_PRIVATE=true): every address the host resolves to must be
 * public. Checked when the webhook is saved (400 webhook_url_private) and again at each delivery, on the
 * very addresses connected to (publicOnlyLookup in the sender), since a DNS answer may change in between.
 */
export async function assertPublicTarget(url: URL, resolve: (host: string) => Promise<string[]> = resolveAll): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : await resolve(host).catch(() => {
    throw new HeraldError('invalid_webhook_url', `Webhook host ${host} does not resolve`);
  });
  try {
    checkResolved(host, addresses);
  } catch (e) {
    if (!(e instanceof PrivateTargetError)) throw e;
    throw new HeraldError('webhook_url_private', `Webhook host ${host} resolves to a private, loopback, link-local or reserved address (${e.address ?? 'none'})`);
  }
}

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}
