import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/*
 * What a merchant's webhook URL may reach. Every attempt resolves the host (all its addresses) and
 * refuses it when any address is loopback, private (RFC 1918), link-local, CGNAT, unspecified,
 * cloud metadata, unique-local, multicast or broadcast — also spelled as an IPv4-mapped, NAT64 or
 * 6to4 IPv6 address; the connection then goes to the address that was checked (lib/outbound/http.ts),
 * so a DNS answer that changes between check and connect cannot get around it.
 * WEBHOOK_ALLOW_PRIVATE_URLS=1 (development, the demo, tests) lifts the check.
 */

const V4_BLOCKED: [string, number, string][] = [
  ["0.0.0.0", 8, "an unspecified address"],
  ["10.0.0.0", 8, "a private address"],
  ["100.64.0.0", 10, "a carrier-grade NAT address"],
  ["127.0.0.0", 8, "a loopback address"],
  ["169.254.0.0", 16, "a link-local address (cloud metadata lives there)"],
  ["172.16.0.0", 12, "a private address"],
  ["192.0.0.0", 24, "a reserved address"],
  ["192.168.0.0", 16, "a private address"],
  ["198.18.0.0", 15, "a reserved address"],
  ["224.0.0.0", 4, "a multicast address"],
  ["240.0.0.0", 4, "a reserved or broadcast address"],
];
const V6_BLOCKED: [string, number, string][] = [
  ["::", 128, "an unspecified address"],
  ["::1", 128, "a loopback address"],
  ["fe80::", 10, "a link-local address"],
  ["fc00::", 7, "a unique-local address (cloud metadata such as fd00:ec2::254 lives there)"],
  ["ff00::", 8, "a multicast address"],
];

function lists(ranges: [string, number, string][], family: "ipv4" | "ipv6"): { list: BlockList; reason: string }[] {
  return ranges.map(([network, prefix, reason]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, family);
    return { list, reason };
  });
}
const V4_LISTS = lists(V4_BLOCKED, "ipv4");
const V6_LISTS = lists(V6_BLOCKED, "ipv6");

/** Eight 16-bit groups of an IPv6 address (with an embedded dotted IPv4 tail expanded). */
function ipv6Groups(address: string): number[] | null {
  let text = address.toLowerCase().split("%")[0]!;
  const dotted = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const octets = dotted[1]!.split(".").map(Number);
    text = `${text.slice(0, -dotted[1]!.length)}${((octets[0]! << 8) | octets[1]!).toString(16)}:${((octets[2]! << 8) | octets[3]!).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const groups = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 && groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : null;
}

function v4Of(high: number, low: number): string {
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

function v4Reason(address: string): string | null {
  return V4_LISTS.find(({ list }) => list.check(address, "ipv4"))?.reason ?? null;
}

/** Why an address may not be reached, or null when it is a public address. */
export function blockedAddressReason(address: string): string | null {
  const family = isIP(address);
  if (family === 4) return v4Reason(address);
  if (family !== 6) return "not an IP address";
  const groups = ipv6Groups(address);
  if (!groups) return "not an IP address";
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groups as [number, number, number, number, number, number, number, number];
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d): the IPv4 address inside decides.
  const zeroHead = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if ((zeroHead && g5 === 0xffff) || (zeroHead && g5 === 0 && (g6 !== 0 || g7 > 1)) || (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0)) {
    return v4Reason(v4Of(g6, g7));
  }
  if (g0 === 0x2002) return v4Reason(v4Of(g1, g2)); // 6to4 embeds the IPv4 address in groups 1–2
  const bare = address.split("%")[0]!;
  return V6_LISTS.find(({ list }) => list.check(bare, "ipv6"))?.reason ?? null;
}

export class RefusedAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RefusedAddressError";
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** dns.lookup with `all: true`, injectable for tests. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));

export interface GuardOptions {
  allowPrivate: boolean;
  resolve?: Resolver;
}

/** A URL's hostname without IPv6 brackets. */
export function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/**
 * The address to connect to for `hostname`, after checking every address it resolves to. Throws
 * RefusedAddressError for a refused address, and the resolver's error when the name does not resolve.
 */
export async function resolveChecked(hostname: string, { allowPrivate, resolve = systemResolver }: GuardOptions): Promise<ResolvedAddress> {
  const literal = isIP(hostname);
  const addresses: ResolvedAddress[] = literal ? [{ address: hostname, family: literal === 6 ? 6 : 4 }] : await resolve(hostname);
  if (addresses.length === 0) throw new RefusedAddressError(`${hostname} resolves to no address`);
  if (!allowPrivate) {
    for (const { address } of addresses) {
      const reason = blockedAddressReason(address);
      if (reason) throw new RefusedAddressError(literal ? `${hostname} is ${reason}` : `${hostname} resolves to ${address}, ${reason}`);
    }
  }
  return addresses[0]!;
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; message: string };

/** A URL the merchant typed: https (http only with private URLs allowed), no credentials, a host that may be reached. */
export async function checkEndpointUrl(raw: string, options: GuardOptions): Promise<UrlCheck> {
  const text = raw.trim();
  if (text === "") return { ok: false, message: "Enter the URL of your app's webhook endpoint." };
  if (text.length > 2000) return { ok: false, message: "Keep the URL under 2000 characters." };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: "Enter a full URL such as https://example.com/webhooks/whop." };
  }
  if (url.protocol !== "https:" && !(options.allowPrivate && url.protocol === "http:")) {
    return { ok: false, message: "The URL must start with https://." };
  }
  if (url.username || url.password) return { ok: false, message: "Leave credentials out of the URL: verify deliveries with the signing secret instead." };
  if (url.hash) return { ok: false, message: "Leave the #fragment out of the URL." };
  const host = bareHostname(url);
  if (!options.allowPrivate) {
    if (/^(localhost|.*\.localhost|.*\.local|.*\.internal)$/i.test(host)) return { ok: false, message: `${host} is a local name: use your app's public address.` };
    try {
      await resolveChecked(host, options);
    } catch (error) {
      if (error instanceof RefusedAddressError) return { ok: false, message: `${error.message}: webhooks only go to public addresses.` };
      return { ok: false, message: `${host} could not be found (DNS). Check the host name.` };
    }
  }
  return { ok: true, url };
}
