import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** One resolved address of a target host. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export type Resolve = (hostname: string) => Promise<ResolvedAddress[]>;

/** Why a target is refused (said to the caller: no address of another tenant in it, only the host they gave). */
export class TargetRefusedError extends Error {
  override readonly name = 'TargetRefusedError';
}

/**
 * Address ranges a notification never goes to unless the allow-list names them: this host, private
 * networks, link-local (cloud metadata at 169.254.169.254), CGNAT, unique-local IPv6, "this network",
 * benchmarking, multicast and reserved.
 */
const BLOCKED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['100::', 64],
] as const) {
  BLOCKED.addSubnet(network, prefix, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:127.0.0.1`), else undefined. */
function mappedIpv4(address: string): string | undefined {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (match) return match[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** Whether an address is in a refused range. */
export function isBlockedAddress(address: string): boolean {
  const v4 = mappedIpv4(address);
  if (v4 !== undefined) return BLOCKED.check(v4, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The allow-list: host names (exact, case-insensitive) and addresses or CIDR ranges. */
export interface AllowList {
  readonly hosts: ReadonlySet<string>;
  readonly ranges: BlockList;
}

/** `NOTIFICATIONS_WEBHOOK_ALLOWLIST`: comma-separated hosts, addresses and CIDRs (`localhost,127.0.0.1,10.1.0.0/16`). */
export function parseAllowList(text: string | undefined): AllowList {
  const hosts = new Set<string>();
  const ranges = new BlockList();
  for (const raw of (text ?? '').split(',')) {
    const entry = raw.trim().toLowerCase().replace(/^\[|\]$/g, '');
    if (entry === '') continue;
    const [network, prefixText] = entry.split('/');
    const family = isIP(network!);
    if (family !== 0) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) throw new Error(`NOTIFICATIONS_WEBHOOK_ALLOWLIST: ${raw.trim()} is not a CIDR range`);
      ranges.addSubnet(network!, prefix, type);
    } else if (prefixText === undefined && /^[a-z0-9.-]+$/.test(entry)) {
      hosts.add(entry);
    } else {
      throw new Error(`NOTIFICATIONS_WEBHOOK_ALLOWLIST: ${raw.trim()} is neither a host, an address nor a CIDR range`);
    }
  }
  return { hosts, ranges };
}

const systemResolve: Resolve = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));

/**
 * The SSRF guard: a target's host is resolved and every address it resolves to must lie outside the
 * refused ranges, unless the allow-list names the host or the address. Run at creation and again at
 * every delivery (DNS rebinding); the delivery connects to the addresses checked here, never to a
 * second resolution.
 */
export class TargetGuard {
  private readonly resolve: Resolve;

  constructor(
    private readonly allowList: AllowList,
    resolve?: Resolve,
  ) {
    this.resolve = resolve ?? systemResolve;
  }

  /** The addresses to connect to for `url`; throws TargetRefusedError when the target is refused. */
  async addressesFor(url: string): Promise<ResolvedAddress[]> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new TargetRefusedError('not a URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TargetRefusedError('only http and https targets');
    const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const hostAllowed = this.allowList.hosts.has(host);
    const literal = isIP(host);
    let addresses: ResolvedAddress[];
    if (literal !== 0) {
      addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
    } else {
      try {
        addresses = await this.resolve(host);
      } catch {
        throw new TargetRefusedError(`${host} does not resolve`);
      }
      if (addresses.length === 0) throw new TargetRefusedError(`${host} does not resolve`);
    }
    if (hostAllowed) return addresses;
    for (const { address, family } of addresses) {
      if (!isBlockedAddress(address)) continue;
      if (this.allowList.ranges.check(mappedIpv4(address) ?? address, mappedIpv4(address) !== undefined || family === 4 ? 'ipv4' : 'ipv6')) continue;
      throw new TargetRefusedError(`${host} is a private, loopback or link-local address; name it in NOTIFICATIONS_WEBHOOK_ALLOWLIST to allow it`);
    }
    return addresses;
  }
}
