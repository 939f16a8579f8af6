/**
 * Schedules brought in from another scheduler (pg_cron, a crontab, GitHub Actions), as the
 * parsers read them and the untangling (untangle.ts) and `grove-jobs import` use them.
 */

/** What an imported entry does, as a Grove Jobs job type would do it. */
export type ImportedAction =
  | {
      kind: 'http-request';
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
      url: string;
      /** Headers that are not secret. */
      headers: Record<string, string>;
      /** Headers whose values look secret (authorization, apikey, x-*-secret, x-*-token, long random values). */
      secretHeaders: Record<string, string>;
      /** The request body: JSON when it parsed as JSON, text otherwise; absent for none. */
      body?: unknown;
    }
  | { kind: 'sql'; statement: string }
  | { kind: 'command'; executable: string; args: string[]; env?: Record<string, string> };

export type ImportSource = 'pg-cron' | 'crontab' | 'github-actions';

/** One schedule entry of the source, with what it runs. */
export interface ImportEntry {
  source: ImportSource;
  /**
   * The entry's identity in the source, unique among the entries of one import: pg_cron's
   * jobname (or `job <jobid>` when unnamed), `crontab:<line>`, `<workflow file>#<index>`.
   */
  key: string;
  /** A name for the config made from it (before making it a valid id): pg_cron's jobname, the workflow's name, the command's first word. */
  name: string;
  /** The schedule as the source wrote it (`0 5 * * *`, `30 seconds`, `@daily`). */
  original: string;
  /** The schedule as a Grove Jobs cron (five or six fields; `L` for pg_cron's `$`). */
  cron: string;
  /** The zone the cron is read in: `UTC` unless the source says otherwise (crontab `CRON_TZ=`). */
  timezone: string;
  /** False for an inactive pg_cron entry or a commented-out line: imported switched off. */
  active: boolean;
  /** Set for an entry found commented out (GitHub Actions `# - cron:` lines). */
  commented?: boolean;
  action: ImportedAction;
  /** Anything the person importing should know (e.g. a workflow without workflow_dispatch: the line to add). */
  notes?: string[];
  /**
   * Secret headers whose values the parser never sees: `grove-jobs import` reads each from its
   * own environment when importing, puts `prefix` before it, and adds it to the action's
   * `secretHeaders`; it is never printed. Header name → where its value comes from, e.g.
   * `{ authorization: { variable: 'GITHUB_TOKEN', prefix: 'Bearer ' } }` for GitHub Actions.
   */
  secretFromEnv?: Record<string, { variable: string; prefix?: string }>;
}

/** A line or entry that could not be imported, and why (reported in the plan, never silently dropped). */
export interface ImportSkip {
  key: string;
  original: string;
  reason: string;
}
