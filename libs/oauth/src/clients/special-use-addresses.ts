import { BlockList, isIP } from 'node:net';

/**
 * Addresses an outbound fetch on a client's behalf must never reach (server-side request
 * forgery): the IANA special-purpose registries (RFC 6890 and its updates) — private,
 * shared, loopback, link-local, documentation, benchmarking, multicast, reserved — plus
 * the IPv6 forms that embed an IPv4 address, which are judged by the address they embed.
 */
const V4 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // shared address space (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the limited broadcast address
] as const) {
  V4.addSubnet(net, prefix, 'ipv4');
}

const V6 = new BlockList();
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, benchmarking, …)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: an IPv4 address tunnelled
  ['3fff::', 20], // documentation (RFC 9637)
  ['5f00::', 16], // segment routing SIDs
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  V6.addSubnet(net, prefix, 'ipv6');
}

const LOOPBACK_V4 = new BlockList();
LOOPBACK_V4.addSubnet('127.0.0.0', 8, 'ipv4');

/** How an address may be used: `public`, `loopback`, or `refused` (every other special-use range). */
export type AddressClass = 'public' | 'loopback' | 'refused';

export function classifyAddress(address: string): AddressClass {
  const family = isIP(address);
  if (family === 4) {
    if (LOOPBACK_V4.check(address, 'ipv4')) return 'loopback';
    return V4.check(address, 'ipv4') ? 'refused' : 'public';
  }
  if (family !== 6) return 'refused';
  const embedded = embeddedIpv4(address);
  if (embedded) return classifyAddress(embedded);
  if (address === '::1' || /^0*:0*:0*:0*:0*:0*:0*:0*1$/.test(address)) return 'loopback';
  return V6.check(address, 'ipv6') ? 'refused' : 'public';
}

/**
 * The IPv4 address inside an IPv4-mapped (`::ffff:0:0/96`), IPv4-compatible (`::/96`) or
 * NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`) IPv6 address, so that `::ffff:10.0.0.1` is
 * judged as `10.0.0.1`.
 */
function embeddedIpv4(address: string): string | null {
  const words = expandIpv6(address);
  if (!words) return null;
  const zeros = (from: number, to: number) => words.slice(from, to).every((w) => w === 0);
  const mapped = zeros(0, 5) && words[5] === 0xffff;
  const compatible = zeros(0, 6) && !(words[6] === 0 && words[7]! <= 1);
  const nat64 =
    (words[0] === 0x64 && words[1] === 0xff9b && zeros(2, 6)) ||
    (words[0] === 0x64 && words[1] === 0xff9b && words[2] === 1);
  if (!mapped && !compatible && !nat64) return null;
  const [hi, lo] = [words[6]!, words[7]!];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** The eight 16-bit words of an IPv6 address (with an IPv4 tail or `::`), or null. */
function expandIpv6(address: string): number[] | null {
  let a = address.toLowerCase().split('%')[0]!;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) {
    const parts = v4[1]!.split('.').map(Number);
    if (parts.some((p) => p > 255)) return null;
    a =
      a.slice(0, -v4[1]!.length) +
      `${((parts[0]! << 8) | parts[1]!).toString(16)}:${((parts[2]! << 8) | parts[3]!).toString(16)}`;
  }
  const halves = a.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return null;
  const words = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail].map((w) =>
    parseInt(w, 16),
  );
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : null;
}
