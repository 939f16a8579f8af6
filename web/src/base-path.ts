// The console may be served below a path prefix (an application mounts it at /jobs, say). The
// server sets index.html's <base href> to that prefix, and every URL the console makes (API
// calls, the event stream, its own pages) is written relative to it: 'api/jobs', 'jobs/<id>',
// './' for the job grid. This module turns those into addresses and back.

/** The pathname of the document's base: '/' at a server's root, '/jobs/' when mounted at /jobs. */
function basePathname(): string {
  return new URL(document.baseURI).pathname;
}

/** The console's own path ('/', '/jobs/<id>', '/rules') of an address's pathname. */
export function consolePath(pathname: string): string {
  const base = basePathname();
  if (pathname.startsWith(base)) return `/${pathname.slice(base.length)}`;
  // The prefix without its final slash ('/jobs' for '/jobs/'): the console's root.
  if (`${pathname}/` === base) return '/';
  return pathname;
}

/** The address of a console path written relative to the base ('jobs/<id>', 'rules', './'). */
export function consoleUrl(path: string): URL {
  return new URL(path, document.baseURI);
}
