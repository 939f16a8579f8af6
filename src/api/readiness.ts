/** What `/readyz` reports: the database answers and its migrations are those this process knows. */
export interface Readiness {
  ready: boolean;
  database: 'ok' | 'unreachable';
  migrations?: { applied: number; expected: number };
  message?: string;
}
