import { lazy, Suspense, useCallback, useEffect, useId, useRef, useState } from 'react';
import type { JobList, JobListQuery, JobType } from '../api-client';
import { JobCard } from '../components/JobCard';
import { ErrorNotice } from '../components/Notice';
import { TimelinePlaceholder } from '../components/TimelineFrame';
import { plural } from '../format';
import { useApi } from '../hooks/use-api';
import { useLiveChanges } from '../hooks/use-live-changes';
import { useNavigate } from '../hooks/use-route';
import { useSession } from '../hooks/use-session';

// The timeline brings uPlot: loaded after the grid has been painted (see timelineDue).
const RunTimeline = lazy(() => import('../components/RunTimeline').then((module) => ({ default: module.RunTimeline })));

const SORTS: Array<{ value: string; label: string }> = [
  { value: 'title', label: 'Name' },
  { value: 'status', label: 'Status (critical first)' },
  { value: 'nextRun', label: 'Schedule (next run first)' },
  { value: '-lastRun', label: 'Last run (newest first)' },
  { value: 'type', label: 'Job type' },
];
/** Cards shown at once; the API pages beyond that. */
const PAGE = 200;
/** Besides live events, the grid re-reads statuses this often (next runs moving on, missed events). */
const REFRESH_MS = 15_000;
const SEARCH_PAUSE_MS = 200;

/** The filters the grid opens with (index.html reads this list early: see EarlyReads in api-client). */
const FIRST_FILTERS: JobListQuery = { sort: 'title' };

/** The start of the minute: the cards' wording ("Today 2:00 AM UTC") changes no faster. */
function minuteOf(at: Date): Date {
  return new Date(at.getTime() - (at.getTime() % 60_000));
}

/**
 * The new list, keeping the previous object of every job that did not change, so that a
 * refresh re-renders only the cards whose job changed (cards are memoised on their props).
 */
function keepUnchanged(previous: JobList | null, next: JobList): JobList {
  if (!previous) return next;
  const before = new Map(previous.items.map((job) => [String(job.meta['id']), job]));
  let kept = 0;
  const items = next.items.map((job) => {
    const old = before.get(String(job.meta['id']));
    if (old && JSON.stringify(old) === JSON.stringify(job)) {
      kept++;
      return old;
    }
    return job;
  });
  return kept === 0 ? next : { ...next, items };
}

/** The API query for the toolbar's filters and search. */
function listQuery(filters: JobListQuery, search: string): JobListQuery {
  const q = search.trim();
  return { ...filters, ...(q ? { q } : {}), limit: PAGE };
}

/** The job grid: one card per config, with filters, search, sort and counts. */
export function JobsPage() {
  const api = useApi();
  const navigate = useNavigate();
  const { canOperate } = useSession();
  const [filters, setFilters] = useState<JobListQuery>(FIRST_FILTERS);
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  // index.html has usually read the first list already: the first render then shows the cards.
  const [list, setList] = useState<JobList | null>(() => api.jobsAtHand(listQuery(FIRST_FILTERS, '')) ?? null);
  /** The first render had the list: the first load is not needed. */
  const listedAtFirst = useRef(list !== null);
  const [types, setTypes] = useState<JobType[] | null>(() => api.jobTypesAtHand() ?? null);
  const [error, setError] = useState<unknown>(null);
  const [now, setNow] = useState(() => minuteOf(new Date()));
  const [newType, setNewType] = useState('');
  const ids = useId();

  const load = useCallback(async () => {
    try {
      const next = await api.jobs(listQuery(filters, query));
      setList((previous) => keepUnchanged(previous, next));
      const minute = minuteOf(new Date());
      setNow((previous) => (previous.getTime() === minute.getTime() ? previous : minute));
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, [api, filters, query]);

  // Typing in the search box waits for a pause before asking the server.
  useEffect(() => {
    const timer = window.setTimeout(() => setQuery(search), SEARCH_PAUSE_MS);
    return () => window.clearTimeout(timer);
  }, [search]);

  useEffect(() => {
    if (listedAtFirst.current) listedAtFirst.current = false;
    else void load();
    const refresh = window.setInterval(() => void load(), REFRESH_MS);
    return () => window.clearInterval(refresh);
  }, [load]);

  // One function for every card, so that a change of the toolbar alone re-renders no card.
  const reload = useCallback(() => void load(), [load]);
  useLiveChanges(reload);

  // The timeline (uPlot, schedule previews of the frequent jobs) starts once the cards have been painted.
  const [timelineDue, setTimelineDue] = useState(false);
  const listed = list !== null;
  useEffect(() => {
    if (!listed || timelineDue) return;
    let timer: number | undefined;
    const frame = window.requestAnimationFrame(() => {
      timer = window.setTimeout(() => setTimelineDue(true));
    });
    return () => {
      window.cancelAnimationFrame(frame);
      window.clearTimeout(timer);
    };
  }, [listed, timelineDue]);

  useEffect(() => {
    if (types === null) api.jobTypes().then(setTypes, setError);
  }, [api, types]);

  return (
    <section className="page" aria-labelledby="jobs-heading">
      <div className="page-header">
        <h1 id="jobs-heading">Job configurations</h1>
        {list ? (
          <p className="counts" aria-live="polite">
            <span data-count="total">{plural(list.total, 'job')}</span> · <span data-count="enabled">{list.enabledCount} enabled</span> ·{' '}
            <span data-count="failed" className={list.failedCount > 0 ? 'text-error' : undefined}>
              {list.failedCount} failed
            </span>
          </p>
        ) : null}
      </div>
      <form className="toolbar" role="search" onSubmit={(event) => event.preventDefault()}>
        <div className="field field--inline">
          <label htmlFor={`${ids}-0`}>Search</label>
          <input id={`${ids}-0`} type="search" value={search} placeholder="Name, id or description" onChange={(event) => setSearch(event.target.value)} />
        </div>
        <div className="field field--inline">
          <label htmlFor={`${ids}-1`}>Type</label>
          <select
            id={`${ids}-1`}
            value={filters.type ?? ''}
            onChange={(event) => {
              const { type: _drop, ...rest } = filters;
              setFilters(event.target.value ? { ...rest, type: event.target.value } : rest);
            }}
          >
            <option value="">All types</option>
            {types?.map((type) => (
              <option key={type.name} value={type.name}>
                {type.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field field--inline">
          <label htmlFor={`${ids}-2`}>Enabled or disabled</label>
          <select
            id={`${ids}-2`}
            value={filters.enabled ?? ''}
            onChange={(event) => {
              const { enabled: _drop, ...rest } = filters;
              const value = event.target.value;
              setFilters(value === 'true' || value === 'false' ? { ...rest, enabled: value } : rest);
            }}
          >
            <option value="">Enabled and disabled</option>
            <option value="true">Enabled only</option>
            <option value="false">Disabled only</option>
          </select>
        </div>
        <div className="field field--inline">
          <label htmlFor={`${ids}-3`}>Sort by</label>
          <select id={`${ids}-3`} value={filters.sort ?? 'title'} onChange={(event) => setFilters({ ...filters, sort: event.target.value })}>
            {SORTS.map((sort) => (
              <option key={sort.value} value={sort.value}>
                {sort.label}
              </option>
            ))}
          </select>
        </div>
      </form>
      {canOperate ? (
        <form
          className="toolbar toolbar--new"
          onSubmit={(event) => {
            event.preventDefault();
            if (newType) navigate(`jobs/new?type=${encodeURIComponent(newType)}`);
          }}
        >
          <div className="field field--inline">
            <label htmlFor={`${ids}-4`}>New job of type</label>
            <select id={`${ids}-4`} value={newType} onChange={(event) => setNewType(event.target.value)}>
              <option value="">Choose a type…</option>
              {types?.map((type) => (
                <option key={type.name} value={type.name} title={type.description}>
                  {type.name}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="button button--primary" disabled={!newType}>
            New job
          </button>
        </form>
      ) : null}
      <ErrorNotice error={error} />
      {list === null && !error ? <p className="muted">Loading jobs…</p> : null}
      {list && list.items.length === 0 ? <p className="muted">No job matches these filters.</p> : null}
      {list && list.items.length > 0 ? (
        timelineDue ? (
          <Suspense fallback={<TimelinePlaceholder jobs={list.items} />}>
            <RunTimeline jobs={list.items} />
          </Suspense>
        ) : (
          <TimelinePlaceholder jobs={list.items} />
        )
      ) : null}
      <div className="grid">
        {list?.items.map((job) => <JobCard key={String(job.meta['id'])} job={job} now={now} counterLabels={types?.find((type) => type.name === job.payload['jobType'])?.counterLabels} onChanged={reload} />)}
      </div>
      {list && list.total > list.items.length ? (
        <p className="muted">
          Showing the first {list.items.length} of {list.total}; narrow the search to see the others.
        </p>
      ) : null}
    </section>
  );
}
