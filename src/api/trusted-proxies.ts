import { BlockList, isIP } from 'node:net';

// app.ts re-exports this class, so it is in the library's declarations: kept free of HTTP
// framework imports, which a consumer's install does not have.

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
