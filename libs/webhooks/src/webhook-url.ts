import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { HeraldError } from '@herald/protocol';

/** Addresses a webhook must never reach in production: loopback, private, link-local, CGNAT, multicast, reserved. */
const BLOCKED = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) BLOCKED.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2001:db8::', 32]] as const) {
  BLOCKED.addSubnet(net, bits, 'ipv6');
}

export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return BLOCKED.check(mapped[1], 'ipv4');
    return BLOCKED.check(address, 'ipv6');
  }
  return true;
}

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
 * SSRF rule (production only; development and tests post to local receivers): every address the host
 * resolves to must be public. Checked when the webhook is saved and again, on the resolved address
 * actually connected to, at each delivery (a DNS answer may change in between).
 */
export async function assertPublicTarget(url: URL, resolve: (host: string) => Promise<string[]> = resolveAll): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : await resolve(host).catch(() => {
    throw new HeraldError('invalid_webhook_url', `Webhook host ${host} does not resolve`);
  });
  const bad = addresses.find(isBlockedAddress);
  if (bad !== undefined || addresses.length === 0) {
    throw new HeraldError('invalid_webhook_url', `Webhook host ${host} resolves to a private, loopback or link-local address (${bad ?? 'none'})`);
  }
}

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}
