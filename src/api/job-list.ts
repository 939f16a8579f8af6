import { gzipSync } from 'node:zlib';
import type { ApiSystem } from './system.js';
import type { ConfigOverview } from '../engine/ports.js';
import { type JobView, jobView, type ScheduleCache } from './views.js';

/** A page's JSON body, and its gzip form made once on first demand (browsers ask for it). */
export class ListBody {
  #gzipped: Uint8Array | undefined;
  constructor(readonly plain: Uint8Array) {}
  get gzipped(): Uint8Array {
    return (this.#gzipped ??= gzipSync(this.plain, { level: 6 }));
  }
}

/** Distinct query strings whose bodies one build keeps. */
const PAGES_PER_BUILD = 64;

/**
 * How long a built list may be served before it is rebuilt behind the request. Changes come
 * with events and notifications; age only catches what none announces (the progress
 * counters of another process's running execution).
 */
export const JOB_LIST_MAX_AGE_MS = 30_000;
/** Views built between two turns of the event loop, so requests keep being served during a rebuild. */
const VIEWS_PER_TURN = 50;

interface Built {
  generation: number;
  overviews: ConfigOverview[];
  /** Finished response bodies by query string, for this build only (the list pages clients repeat). */
  pages: Map<string, ListBody>;
  /** When the list was built (engine clock, ms). */
  at: number;
  /** Rebuild (behind the request) once the clock passes this: the max age. */
  freshUntil: number;
  /** The earliest next run shown: once it passes, the views showing it are redone. */
  nextRunsUntil: number;
  views: JobView[];
  /** Each view as JSON, serialised once per build. */
  json: string[];
}

/**
 * The job list, built once and served to every request until something changes. A change
 * made or seen by this process (a config written, an execution queued, started or ended,
 * here or — through notifications — in another process) makes the next request wait for a
 * fresh build; age alone (progress counters, a next run passing) only triggers a rebuild
 * behind the request, which meanwhile gets the list just built.
 */
export class JobListCache {
  #built: Built | undefined;
  #building: Promise<Built> | undefined;
  #generation = 0;
  readonly #unsubscribe: Array<() => unknown> = [];

  constructor(
    private readonly system: ApiSystem,
    private readonly schedules: ScheduleCache,
  ) {
    const invalidate = () => {
      this.#generation++;
    };
    const { events } = system;
    for (const name of ['config:changed', 'config:paused', 'execution:queued', 'execution:started', 'execution:finished'] as const) {
      this.#unsubscribe.push(events.on(name, invalidate));
    }
    void system.store.onConfigChanged(invalidate).then((off) => this.#unsubscribe.push(off), () => undefined);
    void system.store.onExecutionsChanged(invalidate).then((off) => this.#unsubscribe.push(off), () => undefined);
  }

  /**
   * A response body for `query` from the current list: made by `render` once per build and
   * query, then served as the same bytes.
   */
  async page(query: string, render: (list: { views: readonly JobView[]; json: readonly string[] }) => string): Promise<ListBody> {
    const built = await this.read();
    let body = built.pages.get(query);
    if (!body) {
      body = new ListBody(new TextEncoder().encode(render(built)));
      if (built.pages.size >= PAGES_PER_BUILD) built.pages.clear();
      built.pages.set(query, body);
    }
    return body;
  }

  /** Every config's view, current as of the last change this process knows of. */
  async read(): Promise<Built> {
    const built = this.#built;
    if (built && built.generation === this.#generation) {
      const now = this.system.clock.now();
      if (now.getTime() >= built.freshUntil) void this.#build().catch(() => undefined);
      else if (now.getTime() >= built.nextRunsUntil) return this.#passNextRuns(built, now);
      return built;
    }
    return this.#fresh(this.#generation);
  }

  /** Redoes only the views whose first next run has passed (the rest are unchanged). */
  #passNextRuns(built: Built, now: Date): Built {
    const views = [...built.views];
    const json = [...built.json];
    let nextRunsUntil = Number.POSITIVE_INFINITY;
    views.forEach((view, index) => {
      const next = view.nextRuns[0];
      if (next && Date.parse(next) <= now.getTime()) {
        const redone = jobView(built.overviews[index] as ConfigOverview, this.system.jobTypes, this.schedules, now);
        views[index] = redone;
        json[index] = JSON.stringify(redone);
      }
      const first = views[index]?.nextRuns[0];
      if (first) nextRunsUntil = Math.min(nextRunsUntil, Date.parse(first));
    });
    const passed: Built = { ...built, pages: new Map(), views, json, nextRunsUntil };
    this.#built = passed;
    return passed;
  }

  /** A list built after change `generation`: waits out a build that started before it, then builds. */
  async #fresh(generation: number): Promise<Built> {
    for (;;) {
      const built = this.#built;
      if (built && built.generation >= generation) return built;
      const building = this.#building;
      if (!building) return this.#build();
      await building.catch(() => undefined);
    }
  }

  close(): void {
    for (const off of this.#unsubscribe.splice(0)) void off();
  }

  /** Starts a build (one at a time) at the current generation, or joins the one in flight. */
  #build(): Promise<Built> {
    if (this.#building) return this.#building;
    const generation = this.#generation;
    this.#building = (async () => {
      try {
        const now = this.system.clock.now();
        const overviews = await this.system.configs.overviews();
        const views: JobView[] = [];
        const json: string[] = [];
        let nextRunsUntil = Number.POSITIVE_INFINITY;
        for (let from = 0; from < overviews.length; from += VIEWS_PER_TURN) {
          if (from > 0) await new Promise((resolve) => setImmediate(resolve));
          for (const overview of overviews.slice(from, from + VIEWS_PER_TURN)) {
            const view = jobView(overview, this.system.jobTypes, this.schedules, now);
            const next = view.nextRuns[0];
            if (next) nextRunsUntil = Math.min(nextRunsUntil, Date.parse(next));
            views.push(view);
            json.push(JSON.stringify(view));
          }
        }
        const built: Built = { generation, overviews, pages: new Map(), at: now.getTime(), freshUntil: now.getTime() + JOB_LIST_MAX_AGE_MS, nextRunsUntil, views, json };
        if (!this.#built || this.#built.generation <= generation) this.#built = built;
        return built;
      } finally {
        this.#building = undefined;
      }
    })();
    return this.#building;
  }
}
