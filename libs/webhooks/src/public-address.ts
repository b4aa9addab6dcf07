import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';

/**
 * The SSRF rule's address classifier: a webhook may only reach public unicast addresses. IPv6 forms that
 * carry an IPv4 address (mapped `::ffff:a.b.c.d` / `::ffff:7f00:1`, translated `::ffff:0:a.b.c.d`, 6to4
 * `2002:AABB:CCDD::`) are judged by the IPv4 address they carry; the deprecated IPv4-compatible range
 * `::/96` (`::7f00:1`, `::127.0.0.1`, `::1`, `::`) is refused whole.
 */
const V4 = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) V4.addSubnet(net, bits, 'ipv4');

const V6 = new BlockList();
for (const [net, bits] of [
  ['::', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 32], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10],
  ['fec0::', 10], ['ff00::', 8],
] as const) V6.addSubnet(net, bits, 'ipv6');

/** True for every address a webhook must not reach, and for anything that is not an IP address. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return V4.check(address, 'ipv4');
  if (family !== 6) return true;
  const bytes = ipv6Bytes(address);
  if (!bytes) return true;
  const v4 = embeddedIpv4(bytes);
  if (v4 !== undefined) return V4.check(v4, 'ipv4');
  return V6.check(address.replace(/%.*$/, ''), 'ipv6');
}

/** The IPv4 address of a mapped (::ffff:0:0/96), translated (::ffff:0:0:0/96) or 6to4 (2002::/16) address. */
function embeddedIpv4(b: Uint8Array): string | undefined {
  const zero = (from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
  const dotted = (at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return dotted(12);
  if (zero(0, 8) && b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0) return dotted(12);
  if (b[0] === 0x20 && b[1] === 0x02) return dotted(2);
  return undefined;
}

/** The 16 bytes of a textual IPv6 address (zone id dropped; a trailing dotted IPv4 part accepted). */
function ipv6Bytes(address: string): Uint8Array | undefined {
  let text = address.replace(/%.*$/, '').toLowerCase();
  const dottedTail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dottedTail) {
    const [a, b, c, d] = dottedTail.slice(1).map(Number);
    text = `${text.slice(0, dottedTail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const v = parseInt(groups[i], 16);
    if (!/^[0-9a-f]{1,4}$/.test(groups[i]) || Number.isNaN(v)) return undefined;
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  }
  return out;
}

/** The refusal of a target that is, or resolves to, a non-public address. */
export class PrivateTargetError extends Error {
  constructor(
    readonly host: string,
    readonly address: string | undefined,
  ) {
    super(`refused: ${host} resolves to a non-public address${address ? ` (${address})` : ''}`);
    this.name = 'PrivateTargetError';
  }
}

/**
 * Refuses a host unless every address it resolves to is public: one private answer among public ones is
 * enough to refuse (a rebinding attacker would only wait for a connection to pick it).
 */
export function checkResolved(host: string, addresses: readonly string[]): void {
  const bad = addresses.find(isBlockedAddress);
  if (bad !== undefined || addresses.length === 0) throw new PrivateTargetError(host, bad);
}

/** Every address of a host (an IP literal is its own answer), each checked by checkResolved. */
export function resolvePublic(host: string, callback: (err: Error | null, addresses: LookupAddress[]) => void): void {
  const literal = host.replace(/^\[|\]$/g, '');
  const family = isIP(literal);
  const check = (list: LookupAddress[]) => {
    try {
      checkResolved(host, list.map((a) => a.address));
    } catch (e) {
      return callback(e as Error, []);
    }
    callback(null, list);
  };
  if (family) return check([{ address: literal, family }]);
  dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? callback(err, []) : check(addresses)));
}

/** resolvePublic as a promise. */
export function resolvePublicAsync(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => resolvePublic(host, (err, list) => (err ? reject(err) : resolve(list))));
}

/**
 * A `lookup` for http(s) agents: the socket connects only to addresses this function checked, so the
 * address checked is the address used, and a DNS answer that changes between a check and the connect
 * (rebinding) cannot reach a private address.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  resolvePublic(hostname, (err, list) => {
    const wanted = options.family === 4 || options.family === 6 ? list.filter((a) => a.family === options.family) : list;
    if (err) return callback(err, '', 0);
    if (wanted.length === 0) return callback(new Error(`${hostname} has no IPv${options.family} address`), '', 0);
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, wanted);
    callback(null, wanted[0].address, wanted[0].family);
  });
};
