import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { ProxyRange } from '@herald/config';

/**
 * The client's address, for whatever is counted per client (the API's sign-up and log-in limits). Any
 * request (Express/Nest's, a route served before the framework, a WebSocket upgrade) is a Node
 * IncomingMessage, so this is the one place that decides it.
 *
 * With no trusted proxy (HERALD_TRUST_PROXY unset) it is the peer's address and X-Forwarded-For is never
 * read: any client can write that header. Behind trusted proxies it is the right-most X-Forwarded-For
 * entry that is not a trusted proxy, walking from the peer leftwards only while each hop is trusted:
 * each trusted proxy appended the address it saw, and entries left of the first untrusted one are that
 * client's own claims. This is what Express's `trust proxy` does with a list of addresses.
 */
export class ClientAddresses {
  private readonly trusted: BlockList | undefined;

  constructor(ranges: readonly ProxyRange[]) {
    if (!ranges.length) return;
    this.trusted = new BlockList();
    for (const r of ranges) this.trusted.addSubnet(r.address, r.prefix, r.family);
  }

  of(req: IncomingMessage): string {
    const peer = canonical(req.socket.remoteAddress);
    if (!peer) return 'unknown';
    if (!this.trusted || !this.isTrusted(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = canonical(hops[i].trim());
      // A malformed (or missing) entry ends the walk: the trusted hop that passed it on is the last
      // address known to be real. Never a key made of whatever text the header held.
      if (!hop) return client;
      client = hop;
      if (!this.isTrusted(hop)) return hop;
    }
    // Every hop trusted: the left-most is as close to the client as anyone vouches for.
    return client;
  }

  private isTrusted(address: string): boolean {
    return this.trusted!.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
  }
}

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * One spelling per address, so one client is one counter: an IPv4-mapped IPv6 address (a dual-stack
 * listener's `::ffff:1.2.3.4`) as IPv4, IPv6 compressed and lower-case, no zone id. Undefined when it
 * is not an IP address at all.
 */
function canonical(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const mapped = MAPPED_V4.exec(address);
  if (mapped && isIP(mapped[1]) === 4) return mapped[1];
  const family = isIP(address);
  if (family === 4) return address;
  if (family !== 6) return undefined;
  const zone = address.indexOf('%');
  // The URL parser writes IPv6 in its canonical form (RFC 5952).
  return new URL(`http://[${zone < 0 ? address : address.slice(0, zone)}]`).hostname.slice(1, -1);
}
