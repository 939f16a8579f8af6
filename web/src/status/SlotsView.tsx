import { type KeyboardEvent, useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { byDay, capitalised, daysOf, failed, FATES, fateGlyph, type LedgerDstView, type LedgerSlotView, manualName, manualPhrase, type ManualRunView, slotName, slotTime, slotWallTime, type SlotLedgerView, withUtc, dstNote } from './slot-marks.js';
import { StatusApiError, statusApi } from './status-api.js';
import { addDays, type ClockChange, clockChange, dayOf, dayStart, wallTimeOf, weekStart, zoneName } from './zone-time.js';
import './slots.css';

/** Most slots one range shows: a week of a five-minute schedule; more marks than a screen can take in. */
const SLOT_LIMIT = 2016;
/** While the range holds now, upcoming slots fall due without an event saying so: read again this often. */
const NOW_REFRESH_MS = 60_000;
/** A burst of execution events (queued, running, finished) makes one read, this long after the last. */
const CHANGE_SETTLE_MS = 1_000;
/** Up to this many slots a day, marks carry their time; more, and they are small squares. */
const LABELLED_PER_DAY = { day: 48, week: 6 } as const;

type Mode = 'day' | 'week';

interface Props {
  configId: string;
  /** The job's zone: days begin at its midnight and marks show its wall clock. */
  timezone: string;
  /** The execution the tab shows: its mark is highlighted. */
  selectedExecutionId: string | null;
  onOpenExecution: (executionId: string) => void;
  /** Changes when the tab's executions or the job change: the ledger is read again then. */
  changeKey: string;
}

type Item = { kind: 'slot'; slot: LedgerSlotView } | { kind: 'manual'; run: ManualRunView };

const DAY_FORMAT = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'short', month: 'short', day: 'numeric' });
const LONG_DAY_FORMAT = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' });
const dayLabel = (day: string, long = false) => (long ? LONG_DAY_FORMAT : DAY_FORMAT).format(new Date(`${day}T12:00:00Z`));

function message(error: unknown): string {
  if (error instanceof StatusApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

const slotKey = (slot: LedgerSlotView) => `slot:${slot.at}`;
const manualKey = (run: ManualRunView) => `manual:${run.id}`;

function changeText(change: ClockChange): string {
  return `Clocks ${change.forward ? 'go forward' : 'go back'}: ${change.before} → ${change.after}`;
}

/**
 * The Slots view of the Execution Status tab: every slot of a day or a week of the job's zone
 * as a mark coloured (and labelled) by what became of it, manual runs on a row of their own,
 * daylight-saving days marked. Hover, focus or tap explains a slot; a slot that ran opens its
 * execution in the tab.
 */
export function SlotsView({ configId, timezone, selectedExecutionId, onOpenExecution, changeKey }: Props) {
  const [mode, setMode] = useState<Mode>('day');
  const [anchor, setAnchor] = useState(() => dayOf(timezone, Date.now()));
  const [read, setRead] = useState<{ range: string; ledger: SlotLedgerView | null; error: string | null } | null>(null);
  const [hovered, setHovered] = useState<string | null>(null);
  const [pinned, setPinned] = useState<string | null>(null);
  const [roving, setRoving] = useState<string | null>(null);
  const marks = useRef(new Map<string, HTMLButtonElement>());
  const headingId = useId();
  const dateId = useId();

  const first = mode === 'day' ? anchor : weekStart(anchor);
  const days = useMemo(() => daysOf(first, mode === 'day' ? 1 : 7), [first, mode]);
  const range = useMemo(() => {
    const from = dayStart(timezone, first);
    // The ledger's bounds are inclusive: the range stops a millisecond before the next day.
    const until = dayStart(timezone, addDays(first, days.length)) - 1;
    return { from, until, key: `${configId}|${timezone}|${from}|${until}` };
  }, [configId, timezone, first, days.length]);

  const sequence = useRef(0);
  const load = useCallback(async () => {
    const mine = ++sequence.current;
    try {
      const ledger = await statusApi.slots(configId, new Date(range.from).toISOString(), new Date(range.until).toISOString(), SLOT_LIMIT);
      if (mine === sequence.current) setRead({ range: range.key, ledger, error: null });
    } catch (error) {
      if (mine === sequence.current) setRead({ range: range.key, ledger: null, error: message(error) });
    }
  }, [configId, range]);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    void load();
    const nowInRange = Date.now() >= range.from && Date.now() <= range.until;
    if (!nowInRange) return undefined;
    const timer = setInterval(() => void loadRef.current(), NOW_REFRESH_MS);
    return () => clearInterval(timer);
  }, [load, range]);

  const seenChange = useRef(changeKey);
  useEffect(() => {
    if (seenChange.current === changeKey) return undefined;
    seenChange.current = changeKey;
    const timer = setTimeout(() => void loadRef.current(), CHANGE_SETTLE_MS);
    return () => clearTimeout(timer);
  }, [changeKey]);

  const current = read?.range === range.key ? read : null;
  const ledger = current?.ledger ?? null;
  const grouped = useMemo(() => (ledger ? byDay(ledger, timezone) : new Map<string, never>()), [ledger, timezone]);
  const changes = useMemo(() => new Map(days.map((day) => [day, clockChange(timezone, dayStart(timezone, day), dayStart(timezone, addDays(day, 1)) - 1)])), [days, timezone]);

  const items = useMemo(() => {
    const found = new Map<string, Item>();
    for (const slot of ledger?.slots ?? []) found.set(slotKey(slot), { kind: 'slot', slot });
    for (const run of ledger?.manual ?? []) found.set(manualKey(run), { kind: 'manual', run });
    return found;
  }, [ledger]);
  /** The marks the arrow keys walk, in time order (the slots of the days shown). */
  const order = useMemo(() => days.flatMap((day) => (grouped.get(day)?.slots ?? []).map(slotKey)), [days, grouped]);
  const tabStop = roving !== null && order.includes(roving) ? roving : (order[0] ?? null);
  const perDay = Math.max(0, ...days.map((day) => grouped.get(day)?.slots.length ?? 0));
  const labelled = perDay <= LABELLED_PER_DAY[mode];
  // A failed run's mark looks failed whatever its fate: the legend names what is drawn.
  const fatesShown = useMemo(() => new Set(ledger?.slots.filter((s) => !failed(s)).map((s) => s.fate) ?? []), [ledger]);
  const anyFailed = ledger?.slots.some(failed) ?? false;
  const anyDst = ledger?.slots.some((s) => s.dst !== undefined) ?? false;

  const shownKey = hovered ?? pinned;
  const shown = shownKey ? items.get(shownKey) : undefined;

  const go = (day: string) => {
    setAnchor(day);
    setPinned(null);
    setHovered(null);
  };
  const step = mode === 'day' ? 1 : 7;
  const unit = mode === 'day' ? 'day' : 'week';
  const today = dayOf(timezone, Date.now());
  const showsToday = days.includes(today);

  const walk = (event: KeyboardEvent<HTMLOListElement>) => {
    // Only the slot marks are walked; the manual runs are tab stops of their own.
    if (!tabStop || !(event.target instanceof HTMLElement) || event.target.dataset['fate'] === undefined) return;
    const index = order.indexOf(tabStop);
    const next =
      event.key === 'ArrowRight' || event.key === 'ArrowDown' ? order[Math.min(order.length - 1, index + 1)]
      : event.key === 'ArrowLeft' || event.key === 'ArrowUp' ? order[Math.max(0, index - 1)]
      : event.key === 'Home' ? order[0]
      : event.key === 'End' ? order[order.length - 1]
      : undefined;
    if (next === undefined) return;
    event.preventDefault();
    setRoving(next);
    marks.current.get(next)?.focus();
  };

  const slotMark = (slot: LedgerSlotView) => {
    const key = slotKey(slot);
    const execution = slot.execution;
    const selected = execution !== undefined && execution.id === selectedExecutionId;
    const bad = failed(slot);
    return (
      <button
        key={key}
        type="button"
        ref={(element) => {
          if (element) marks.current.set(key, element);
          else marks.current.delete(key);
        }}
        className={`gj-slot gj-slot--${slot.fate}${bad ? ' is-failed' : ''}${slot.dst ? ' has-dst' : ''}${selected ? ' is-selected' : ''}${pinned === key ? ' is-pinned' : ''}`}
        data-fate={slot.fate}
        data-at={slot.at}
        {...(execution ? { 'data-execution-id': execution.id } : {})}
        aria-label={slotName(slot)}
        aria-current={selected ? 'true' : undefined}
        tabIndex={key === tabStop ? 0 : -1}
        onFocus={() => {
          setRoving(key);
          setPinned(key);
        }}
        onMouseEnter={() => setHovered(key)}
        onMouseLeave={() => setHovered(null)}
        onClick={() => {
          setPinned(key);
          if (execution) onOpenExecution(execution.id);
        }}
      >
        <span className="gj-slot__glyph" aria-hidden="true">
          {bad ? '✗' : fateGlyph(slot.fate)}
        </span>
        {labelled ? (
          <span className="gj-slot__time" aria-hidden="true">
            {/* A doubled hour's two marks differ only by their zone's name. */}
            {slot.dst ? slotWallTime(slot) : slotTime(slot)}
          </span>
        ) : null}
      </button>
    );
  };

  const manualMark = (run: ManualRunView) => {
    const key = manualKey(run);
    const selected = run.id === selectedExecutionId;
    return (
      <button
        key={key}
        type="button"
        className={`gj-manual-run gj-manual-run--${run.status}${selected ? ' is-selected' : ''}${pinned === key ? ' is-pinned' : ''}`}
        data-execution-id={run.id}
        aria-label={manualName(run, timezone)}
        aria-current={selected ? 'true' : undefined}
        onFocus={() => setPinned(key)}
        onMouseEnter={() => setHovered(key)}
        onMouseLeave={() => setHovered(null)}
        onClick={() => {
          setPinned(key);
          onOpenExecution(run.id);
        }}
      >
        <span aria-hidden="true">◆ {wallTimeOf(timezone, Date.parse(run.at))}</span>
      </button>
    );
  };

  const dayBlock = (day: string) => {
    const entry = grouped.get(day);
    const slots = entry?.slots ?? [];
    const manual = entry?.manual ?? [];
    const dst: LedgerDstView[] = entry?.dst ?? [];
    const change = changes.get(day) ?? null;
    return (
      <li key={day} className="gj-slots__day" data-day={day}>
        <div className="gj-slots__day-head">
          <strong>{dayLabel(day)}</strong>
          {change ? (
            <span className="gj-slots__clocks" data-clock-change={change.forward ? 'forward' : 'back'}>
              {changeText(change)} ({zoneName(timezone, change.at - 1)} → {zoneName(timezone, change.at)})
            </span>
          ) : null}
        </div>
        {slots.length > 0 ? (
          <div className={`gj-slots__marks${labelled ? '' : ' gj-slots__marks--compact'}`} role="group" aria-label={`Slots of ${dayLabel(day)}`}>
            {slots.map(slotMark)}
          </div>
        ) : (
          <p className="gj-slots__empty">No slots on this day</p>
        )}
        {manual.length > 0 ? (
          <div className="gj-slots__manual" role="group" aria-label={`Manual runs of ${dayLabel(day)}`}>
            <span className="gj-slots__row-label" aria-hidden="true">
              Manual
            </span>
            {manual.map(manualMark)}
          </div>
        ) : null}
        {dst.length > 0 ? (
          <ul className="gj-slots__dst" aria-label={`Daylight saving on ${dayLabel(day)}`}>
            {dst.map((d) => (
              <li key={`${d.date} ${d.wallClock} ${d.rule}`}>{d.explanation}</li>
            ))}
          </ul>
        ) : null}
      </li>
    );
  };

  const details = (item: Item) => {
    if (item.kind === 'manual') {
      const at = Date.parse(item.run.at);
      return (
        <>
          <strong>
            {dayLabel(dayOf(timezone, at))}, {withUtc(`${wallTimeOf(timezone, at)} ${zoneName(timezone, at)}`, item.run.at)}
          </strong>{' '}
          {manualPhrase(item.run)}
        </>
      );
    }
    const { slot } = item;
    const dstEntry = slot.dst ? ledger?.dst.find((d) => d.date === slot.dst?.date && d.wallClock === slot.dst?.wallClock) : undefined;
    return (
      <>
        <strong>
          {dayLabel(slot.wallClock.slice(0, 10))}, {withUtc(slotWallTime(slot), slot.at)}
        </strong>{' '}
        {capitalised(`this slot ${slot.phrase}.`)}
        {slot.dst ? <span className="gj-slots__details-dst"> {dstEntry ? `Daylight saving: ${dstEntry.explanation}.` : `${capitalised(dstNote(slot.dst))}.`}</span> : null}
      </>
    );
  };

  const rangeLabel = mode === 'day' ? dayLabel(first, true) : `${dayLabel(first)} – ${dayLabel(addDays(first, 6), true)}`;

  return (
    <section className="gj-slots" aria-labelledby={headingId} data-from={new Date(range.from).toISOString()} data-until={new Date(range.until).toISOString()} data-loaded={current !== null ? 'true' : 'false'}>
      <div className="gj-slots__bar">
        <h3 id={headingId}>Slots</h3>
        <div className="gj-slots__controls">
          <div className="gj-segmented" role="group" aria-label="Range">
            {(['day', 'week'] as const).map((m) => (
              <button key={m} type="button" className="gj-button" aria-pressed={mode === m} onClick={() => setMode(m)}>
                {m === 'day' ? 'Day' : 'Week'}
              </button>
            ))}
          </div>
          <div className="gj-segmented" role="group" aria-label={`Move by a ${unit}`}>
            <button type="button" className="gj-button" aria-label={`Previous ${unit}`} onClick={() => go(addDays(anchor, -step))}>
              ‹
            </button>
            <button type="button" className="gj-button" aria-pressed={showsToday} onClick={() => go(today)}>
              Today
            </button>
            <button type="button" className="gj-button" aria-label={`Next ${unit}`} onClick={() => go(addDays(anchor, step))}>
              ›
            </button>
          </div>
          <label className="gj-slots__date" htmlFor={dateId}>
            <span>Go to</span>
            <input id={dateId} type="date" value={anchor} required onChange={(event) => /^\d{4}-\d{2}-\d{2}$/.test(event.target.value) && go(event.target.value)} />
          </label>
        </div>
      </div>
      <p className="gj-slots__range" aria-live="polite">
        <strong>{rangeLabel}</strong> <span className="gj-muted">· times in {timezone}</span>
      </p>

      {current?.error ? (
        <p className="gj-notice gj-notice--error" role="alert">
          Could not read the slots: {current.error}{' '}
          <button type="button" className="gj-button" onClick={() => void load()}>
            Try again
          </button>
        </p>
      ) : null}
      {current === null ? <p className="gj-muted">Reading the slots…</p> : null}
      {ledger?.truncated ? (
        <p className="gj-notice gj-notice--warning" role="status">
          This {unit} has more than {SLOT_LIMIT.toLocaleString('en-US')} slots: the strip stops at {wallTimeOf(timezone, Date.parse(ledger.until))} on {dayLabel(dayOf(timezone, Date.parse(ledger.until)))}.
          {mode === 'week' ? ' Show one day at a time to see them all.' : ''}
        </p>
      ) : null}
      {ledger ? (
        <ol className="gj-slots__days" aria-label={`Slots of ${rangeLabel}`} onKeyDown={walk}>
          {days.map(dayBlock)}
        </ol>
      ) : null}
      {ledger && items.size > 0 ? (
        <>
          <div className="gj-slots__details" aria-live="polite" data-shown={shownKey ?? ''}>
            {shown ? details(shown) : <span className="gj-muted">Hover, focus or tap a slot to see what became of it.</span>}
          </div>
          <ul className="gj-slots__legend" aria-label="Legend">
            {FATES.filter((f) => fatesShown.has(f.fate)).map((f) => (
              <li key={f.fate}>
                <span className={`gj-slot gj-slot--${f.fate} gj-slot--swatch`} aria-hidden="true">
                  <span className="gj-slot__glyph">{f.glyph}</span>
                </span>
                <span>{capitalised(f.label)}</span>
              </li>
            ))}
            {anyFailed ? (
              <li>
                <span className="gj-slot gj-slot--ran is-failed gj-slot--swatch" aria-hidden="true">
                  <span className="gj-slot__glyph">✗</span>
                </span>
                <span>Its run failed or timed out</span>
              </li>
            ) : null}
            {anyDst ? (
              <li>
                <span className="gj-slot gj-slot--upcoming has-dst gj-slot--swatch" aria-hidden="true" />
                <span>Moved or doubled by daylight saving</span>
              </li>
            ) : null}
            {ledger.manual.length > 0 ? (
              <li>
                <span className="gj-manual-run gj-slot--swatch" aria-hidden="true">
                  ◆
                </span>
                <span>Manual run (not started by a slot)</span>
              </li>
            ) : null}
          </ul>
        </>
      ) : null}
    </section>
  );
}
