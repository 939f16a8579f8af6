import { createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';

/**
 * The policy of every response that is not a page: nothing may load or run from it (a JSON
 * answer or an asset opened on its own), and no site may frame it.
 */
export const LOCKED_DOWN_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The CSP hashes of a page's inline `<script>` and `<style>` elements. */
export interface InlineHashes {
  scripts: readonly string[];
  styles: readonly string[];
}

const sources = (hashes: readonly string[]) => hashes.map((hash) => ` '${hash}'`).join('');

/**
 * The policy of a page (the console, the API documentation): its own scripts and styles only,
 * each inline one named by its hash, never `unsafe-inline`. (React and uPlot set element styles
 * through the DOM, which the policy does not govern.) Images from 'self' only: the icon is favicon.svg.
 * A `<base>` may only name this origin.
 */
export function pagePolicy(hashes: InlineHashes): string {
  return [
    "default-src 'self'",
    `script-src 'self'${sources(hashes.scripts)}`,
    `style-src 'self'${sources(hashes.styles)}`,
    "img-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    // The console's <base href> names where it is mounted on this server (api/app.ts, withBase).
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const INLINE_ELEMENT = /<(script|style)\b([^>]*)>([\s\S]*?)<\/\1\s*>/gi;

/**
 * The CSP hashes (`sha256-…`) of a page's inline scripts and styles, over their exact text as a
 * browser hashes it. Scripts with `src` load from 'self' and need none.
 */
export function inlineHashes(html: string): InlineHashes {
  const scripts = new Set<string>();
  const styles = new Set<string>();
  for (const [, tag = '', attributes = '', body = ''] of html.matchAll(INLINE_ELEMENT)) {
    const script = tag.toLowerCase() === 'script';
    if (script && /\bsrc\s*=/i.test(attributes)) continue;
    (script ? scripts : styles).add(`sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}`);
  }
  return { scripts: [...scripts], styles: [...styles] };
}

/** The page policy for one HTML document, remembered per text (the console's index is read per request). */
export class PagePolicies {
  static readonly MAX_PAGES = 16;
  readonly #policies = new Map<string, string>();

  for(html: string): string {
    let policy = this.#policies.get(html);
    if (policy === undefined) {
      policy = pagePolicy(inlineHashes(html));
      if (this.#policies.size >= PagePolicies.MAX_PAGES) this.#policies.clear();
      this.#policies.set(html, policy);
    }
    return policy;
  }
}

const FIXED_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['x-content-type-options', 'nosniff'],
  // For browsers without CSP frame-ancestors.
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'no-referrer'],
];

function apply(headers: Headers): void {
  for (const [name, value] of FIXED_HEADERS) headers.set(name, value);
  // A page sets its own policy (pagePolicy); everything else gets the locked-down one.
  if (!headers.has('content-security-policy')) headers.set('content-security-policy', LOCKED_DOWN_POLICY);
}

/**
 * Security headers on every response of the app: routes, errors, 404s and event streams
 * alike. Registered first, it runs after every other handler and error handler has answered.
 */
export function securityHeaders(): MiddlewareHandler {
  return async (c: Context, next) => {
    await next();
    try {
      apply(c.res.headers);
    } catch {
      // A response with immutable headers (one passed through from fetch): copy it.
      const response = new Response(c.res.body, c.res);
      apply(response.headers);
      c.res = response;
    }
  };
}
