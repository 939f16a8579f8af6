/**
 * The embedded store's packages are optional peer dependencies: an install that only ever uses
 * PostgreSQL (DATABASE_URL) leaves them out, so they are imported here, when an embedded store
 * is first opened, and never by a static import (which would fail at start without them).
 */

/** The packages the embedded store needs, as `npm install` takes them. */
export const EMBEDDED_STORE_PACKAGES = ['@electric-sql/pglite', '@electric-sql/pglite-socket'] as const;

/** An embedded store was asked for, but its packages are not installed. */
export class EmbeddedStoreMissingError extends Error {
  override readonly name = 'EmbeddedStoreMissingError';
  constructor(
    readonly packageName: string,
    options?: { cause?: unknown },
  ) {
    super(
      `the embedded store needs the package ${packageName}, which is not installed: run \`npm install ${EMBEDDED_STORE_PACKAGES.join(' ')}\`, ` +
        'or set DATABASE_URL to use a PostgreSQL server instead',
      options,
    );
  }
}

function isMissing(error: unknown, packageName: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && message.includes(packageName);
}

async function load<Module>(packageName: string, importer: () => Promise<Module>): Promise<Module> {
  try {
    return await importer();
  } catch (error) {
    if (isMissing(error, packageName)) throw new EmbeddedStoreMissingError(packageName, { cause: error });
    throw error;
  }
}

// Literal specifiers, so bundlers and type checkers still see which packages are meant.
export const loadPglite = () => load('@electric-sql/pglite', () => import('@electric-sql/pglite'));
export const loadPgliteSocket = () => load('@electric-sql/pglite-socket', () => import('@electric-sql/pglite-socket'));
