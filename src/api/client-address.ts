import type { Context } from 'hono';
import type { TrustedProxies } from './trusted-proxies.js';

export { TrustedProxies } from './trusted-proxies.js';

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
