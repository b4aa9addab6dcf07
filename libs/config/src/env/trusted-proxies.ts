import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { z } from 'zod';

/** One trusted proxy: an address and a prefix length (32 or 128 for a single address). */
export interface ProxyRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/**
 * HERALD_TRUST_PROXY: `127.0.0.1,10.0.0.0/8,::1` → ranges; unset or empty → none (the peer is the client).
 * A bad entry stops the boot naming it: a typo must not quietly trust nobody (every client counted as
 * the proxy) or the wrong hosts.
 */
export function parseTrustedProxies(value: string | undefined, ctx: z.RefinementCtx): ProxyRange[] {
  const ranges: ProxyRange[] = [];
  for (const entry of (value ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const range = parseRange(entry);
    if (!range) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not an IP address or CIDR range (expected a list such as 127.0.0.1,10.0.0.0/8,::1)` });
      return [];
    }
    ranges.push(range);
  }
  return ranges;
}

function parseRange(entry: string): ProxyRange | undefined {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  // No zone ids (fe80::1%eth0): Node's BlockList does not take them, and a peer's zone says nothing about trust.
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) && !address.includes('%') ? 'ipv6' : undefined;
  if (!family) return undefined;
  const max = family === 'ipv4' ? 32 : 128;
  const bits = slash < 0 ? String(max) : entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return undefined;
  const range: ProxyRange = { address, prefix: Number(bits), family };
  // What libs/http's matcher will be built from: anything BlockList refuses is refused here, at boot.
  try {
    new BlockList().addSubnet(range.address, range.prefix, range.family);
  } catch {
    return undefined;
  }
  return range;
}
