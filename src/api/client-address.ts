import { BlockList, isIP } from 'node:net';
import type { Context } from 'hono';

/**
 * The proxies whose `X-Forwarded-For` is believed (`grove-jobs serve --trust-proxy`): a
 * comma-separated list of addresses and CIDR ranges (`10.0.0.5`, `10.0.0.0/8`, `fd00::/8`),
 * or `loopback` for 127.0.0.0/8 and ::1.
 */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly text: string;

  private constructor(text: string) {
    this.text = text;
  }

  /** Parses the option's value; throws an Error naming the first entry it cannot read. */
  static parse(value: string): TrustedProxies {
    const proxies = new TrustedProxies(value);
    const entries = value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    if (entries.length === 0) throw new Error('give at least one address, CIDR range or "loopback"');
    for (const entry of entries) {
      if (entry === 'loopback') {
        proxies.#list.addSubnet('127.0.0.0', 8, 'ipv4');
        proxies.#list.addAddress('::1', 'ipv6');
        continue;
      }
      const [address = '', bits, extra] = entry.split('/');
      const family = isIP(address);
      const prefix = bits === undefined ? undefined : Number(bits);
      const maxBits = family === 6 ? 128 : 32;
      if (family === 0 || extra !== undefined || (prefix !== undefined && (!/^\d{1,3}$/.test(bits ?? '') || prefix > maxBits))) {
        throw new Error(`"${entry}" is not an IP address, a CIDR range (address/bits) or "loopback"`);
      }
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) proxies.#list.addAddress(address, type);
      else proxies.#list.addSubnet(address, prefix, type);
    }
    return proxies;
  }

  has(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.#list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** An IPv4 address as a dual-stack socket reports it (`::ffff:10.0.0.1`) in its plain form. */
function plain(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

/** One `X-Forwarded-For` entry without the port some proxies add (`1.2.3.4:5678`, `[::1]:80`). */
function forwardedAddress(entry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed?.[1]) return plain(bracketed[1]);
  const withPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(entry);
  return plain(withPort?.[1] ?? entry);
}

/** The address of the connection's peer, as Node's server saw it. */
export function socketAddress(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  const address = incoming?.socket?.remoteAddress;
  return address === undefined ? 'unknown' : plain(address);
}

/**
 * The client's address for `c`. Without trusted proxies, the socket's peer (X-Forwarded-For is
 * anyone's to write). With them, and only when the peer is one of them: the right-most
 * X-Forwarded-For entry that is not a trusted proxy, since every entry to its left was written
 * by the client itself; when every entry is trusted, the left-most.
 */
export function clientAddressOf(trusted?: TrustedProxies): (c: Context) => string {
  return (c) => {
    const peer = socketAddress(c);
    if (!trusted || !trusted.has(peer)) return peer;
    const chain = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((entry) => forwardedAddress(entry.trim()))
      .filter((entry) => entry !== '');
    for (let i = chain.length - 1; i >= 0; i--) {
      const hop = chain[i] as string;
      if (!trusted.has(hop)) return hop;
    }
    return chain[0] ?? peer;
  };
}
