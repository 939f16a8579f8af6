import { type SproutInput, type UsageEvent, type UsageEventType } from './model.js';

/** Deterministic demo data: the same options give the same sprouts and events, byte for byte. */
export interface DemoDataOptions {
  sprouts: number;
  events: number;
  /** PRNG seed. */
  seed: number;
  /** Events fall in the `days` before this instant (the caller's clock). */
  now: Date;
  days?: number;
}

const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 90;

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; returns floats in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Event types weighted as a knowledge garden is used: mostly views, few ratings and promotions. */
const EVENT_MIX: ReadonlyArray<[UsageEventType, number]> = [
  ['viewed', 38],
  ['retrieved', 20],
  ['searched', 12],
  ['referenced', 9],
  ['rated_up', 8],
  ['rated_down', 2],
  ['exported', 4],
  ['promoted', 3],
  ['refined', 4],
];
const TIER_MIX: ReadonlyArray<[string, number]> = [
  ['seed', 55],
  ['sprout', 32],
  ['sapling', 9],
  ['tree', 4],
];
const TOPICS = ['Mycelial networks', 'Retrieval evaluation', 'Prompt provenance', 'Soil carbon', 'Lens design', 'Hub governance', 'Query routing', 'Seed banks', 'Canopy mapping', 'Signal decay'];
const FACETS = ['field notes', 'a primer', 'open questions', 'a case study', 'design sketch', 'reading list', 'benchmarks', 'a glossary'];

function pick<T>(mix: ReadonlyArray<[T, number]>, u: number): T {
  const total = mix.reduce((sum, [, weight]) => sum + weight, 0);
  let at = u * total;
  for (const [value, weight] of mix) {
    at -= weight;
    if (at < 0) return value;
  }
  return mix[mix.length - 1]![0];
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function demoSproutId(index: number): string {
  return `demo-${pad(index + 1, 5)}`;
}

/** The demo sprouts: ids demo-00001…, titles from a small vocabulary, mostly low tiers. */
export function demoSprouts(options: Pick<DemoDataOptions, 'sprouts' | 'seed'>): SproutInput[] {
  const next = random(options.seed);
  return Array.from({ length: options.sprouts }, (_, i) => ({
    id: demoSproutId(i),
    title: `${TOPICS[Math.floor(next() * TOPICS.length)]}: ${FACETS[Math.floor(next() * FACETS.length)]}`,
    tier: pick(TIER_MIX, next()),
  }));
}

/**
 * The demo usage events, in chunks of `chunk`. Popularity is skewed (a few sprouts draw most
 * of the use, as in any library), activity leans towards recent days, sessions and users
 * repeat, searches and retrievals carry a lens, a hub and a query hash.
 */
export function* demoEvents(options: DemoDataOptions, chunk = 5000): Generator<UsageEvent[]> {
  const next = random(options.seed ^ 0x9e3779b9);
  const days = options.days ?? DEFAULT_DAYS;
  const end = options.now.getTime();
  // Zipf-like weights over sprouts: the sprout at rank r draws in proportion to 1 / (r + 1)^0.9.
  const cumulative: number[] = [];
  let total = 0;
  for (let r = 0; r < options.sprouts; r++) cumulative.push((total += 1 / (r + 1) ** 0.9));
  const sproutAt = (u: number) => {
    const target = u * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const sessions = Math.max(40, Math.floor(options.events / 6));
  const users = Math.max(10, Math.floor(sessions / 3));
  let batch: UsageEvent[] = [];
  for (let i = 0; i < options.events; i++) {
    const eventType = pick(EVENT_MIX, next());
    const session = Math.floor(next() * sessions);
    const withContext = eventType === 'searched' || eventType === 'retrieved' || eventType === 'referenced';
    // Recent days are busier: the offset back from `now` is days · u^1.6.
    const ageMs = Math.floor(days * DAY_MS * next() ** 1.6);
    const event: UsageEvent = {
      eventType,
      sproutId: demoSproutId(sproutAt(next())),
      sessionId: `session-${pad(session, 6)}`,
      createdAt: new Date(end - ageMs - 1000),
    };
    if (next() < 0.7) event.userId = `user-${pad(session % users, 5)}`;
    if (withContext) {
      event.provenance = {
        lensId: `lens-${Math.floor(next() * 12) + 1}`,
        hubId: `hub-${Math.floor(next() * 8) + 1}`,
        queryHash: `q${pad(Math.floor(next() * 5000), 4)}`,
      };
    }
    batch.push(event);
    if (batch.length === chunk) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Advancement rules for the botanical model that a first run over the demo data acts on:
 * well-used sprouts move up one tier, each tier asking more than the last.
 */
export const DEMO_RULES = [
  {
    meta: { id: 'seed-to-sprout', title: 'Seed → Sprout: retrieved and seen from more than one place' },
    payload: {
      lifecycleModelId: 'botanical',
      fromTier: 'seed',
      toTier: 'sprout',
      criteria: [
        { signal: 'retrievals', operator: '>=', threshold: 3 },
        { signal: 'queryDiversity', operator: '>=', threshold: 0.2 },
      ],
      logicOperator: 'AND',
      isEnabled: true,
      order: 10,
    },
  },
  {
    meta: { id: 'sprout-to-sapling', title: 'Sprout → Sapling: retrieved, cited and liked' },
    payload: {
      lifecycleModelId: 'botanical',
      fromTier: 'sprout',
      toTier: 'sapling',
      criteria: [
        { signal: 'retrievals', operator: '>=', threshold: 10 },
        { signal: 'citations', operator: '>=', threshold: 4 },
        { signal: 'utilityScore', operator: '>=', threshold: 0.6 },
      ],
      logicOperator: 'AND',
      isEnabled: true,
      order: 20,
    },
  },
  {
    meta: { id: 'sapling-to-tree', title: 'Sapling → Tree: widely used and well rated' },
    payload: {
      lifecycleModelId: 'botanical',
      fromTier: 'sapling',
      toTier: 'tree',
      criteria: [
        { signal: 'retrievals', operator: '>=', threshold: 40 },
        { signal: 'citations', operator: '>=', threshold: 15 },
        { signal: 'queryDiversity', operator: '>=', threshold: 0.6 },
        { signal: 'utilityScore', operator: '>=', threshold: 0.7 },
      ],
      logicOperator: 'AND',
      isEnabled: true,
      order: 30,
    },
  },
  {
    meta: { id: 'tree-to-grove', title: 'Tree → Grove: a cornerstone of the garden' },
    payload: {
      lifecycleModelId: 'botanical',
      fromTier: 'tree',
      toTier: 'grove',
      criteria: [
        { signal: 'retrievals', operator: '>=', threshold: 150 },
        { signal: 'citations', operator: '>=', threshold: 60 },
        { signal: 'queryDiversity', operator: '>=', threshold: 0.9 },
        { signal: 'utilityScore', operator: '>=', threshold: 0.75 },
      ],
      logicOperator: 'AND',
      isEnabled: true,
      order: 40,
    },
  },
] as const;
