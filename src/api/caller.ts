// The roles and the caller hook are part of the library's public types, so this module stays
// free of HTTP framework imports: a consumer's declarations then reach no package it lacks.

/** Token roles, least to most: viewer reads; operator edits, runs, rolls back; admin also manages tokens and deletes. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A caller as an embedding application recognises it. */
export interface Caller {
  role: Role;
  /** Recorded as the actor of what it changes. */
  name: string;
}

export type CallerHook = (request: Request) => Caller | undefined | Promise<Caller | undefined>;
