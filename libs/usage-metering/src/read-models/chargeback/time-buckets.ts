/**
 * Time arithmetic of the chargeback queries, pure (no database):
 *
 * - `localBuckets`: the hour / day / week / month buckets of a range in an IANA
 *   time zone, as UTC instants. Offsets may change inside the range (DST): a
 *   bucket boundary is where the bucket's local key changes, so a DST day is 23
 *   or 25 hours long and the repeated hour of a fall-back is its own bucket.
 * - `decompose`: an interval of UTC instants (15-minute aligned) as a signed
 *   sum of rollup cells — whole UTC days, whole UTC hours, quarter hours — with
 *   as few cells as possible. A cell may be subtracted (`sign` −1): the local day
 *   of Asia/Kolkata, [18:30Z, 18:30Z), is one UTC day − 5½ hours + 5½ hours,
 *   i.e. 1 + 2 × (5 hours + 2 quarters) = 15 cells instead of 24 hours + 4 quarters.
 *   Money is numeric and counts are integers, so subtraction is exact.
 */

export const QUARTER_MS = 15 * 60_000;
export const HOUR_MS = 60 * 60_000;
export const DAY_MS = 24 * HOUR_MS;

/** Rollup grains, in minutes (the `grain` column). Coarsest first. */
export const GRAINS = [1440, 60, 15] as const;
export type Grain = (typeof GRAINS)[number];

export const INTERVALS = ['hour', 'day', 'week', 'month'] as const;
export type Interval = (typeof INTERVALS)[number];

/** One rollup cell of a decomposition: `sign` × the row(s) at (`grain`, `start`). */
export interface Cell {
  readonly grain: Grain;
  /** Epoch ms, aligned to the grain in UTC. */
  readonly start: number;
  readonly sign: 1 | -1;
}

export interface LocalBucket {
  /** Epoch ms (inclusive), clamped to the range. */
  readonly start: number;
  /** Epoch ms (exclusive), clamped to the range. */
  readonly end: number;
  /** The bucket's local start, ISO 8601 with the zone's offset: `2026-03-08T00:00:00-05:00`. */
  readonly label: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Offsets already computed, by `zone|instant` (dashboards ask for the same ranges again and again); bounded. */
const offsets = new Map<string, number>();
const MAX_CACHED_OFFSETS = 200_000;

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The zone's UTC offset at an instant, in ms (Asia/Kolkata: +19,800,000). */
export function offsetAt(timeZone: string, instant: number): number {
  const key = `${timeZone}|${instant}`;
  const cached = offsets.get(key);
  if (cached !== undefined) return cached;
  // "2/11/1970, GMT+05:30" (or "GMT" for UTC itself)
  const match = /GMT(?:([+-])(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?)?$/.exec(formatterOf(timeZone).format(instant));
  if (!match) throw new TimeBucketError(`cannot read the offset of ${timeZone}`);
  const [, sign, hours, minutes, seconds] = match;
  const magnitude = ((Number(hours ?? 0) * 60 + Number(minutes ?? 0)) * 60 + Number(seconds ?? 0)) * 1000;
  const offset = sign === '-' ? -magnitude : magnitude;
  if (offsets.size >= MAX_CACHED_OFFSETS) offsets.clear();
  offsets.set(key, offset);
  return offset;
}

interface Segment {
  readonly start: number;
  readonly end: number;
  readonly offset: number;
}

/** Offsets never change twice within 12 hours. */
const SAMPLE_MS = 12 * HOUR_MS;

/** [from, to) cut where the zone's offset changes (found by sampling every 6 h, then bisecting to the quarter hour). */
function offsetSegments(timeZone: string, from: number, to: number): Segment[] {
  const segments: Segment[] = [];
  let start = from;
  let offset = offsetAt(timeZone, from);
  let probe = from;
  while (probe < to) {
    // on a fixed 12-hour grid (so the next range asked, a quarter hour later, reads the same offsets from the
    // cache); the last quarter hour of the range is sampled too
    const next = Math.min(Math.floor(probe / SAMPLE_MS) * SAMPLE_MS + SAMPLE_MS, to - QUARTER_MS);
    if (next <= probe) break;
    const nextOffset = offsetAt(timeZone, next);
    if (nextOffset !== offset) {
      // the first quarter hour in (probe, next] with the new offset
      let low = probe;
      let high = next;
      while (high - low > QUARTER_MS) {
        const middle = low + Math.floor((high - low) / 2 / QUARTER_MS) * QUARTER_MS;
        if (middle <= low) break;
        if (offsetAt(timeZone, middle) === offset) low = middle;
        else high = middle;
      }
      segments.push({ start, end: high, offset });
      start = high;
      offset = offsetAt(timeZone, high);
    }
    probe = next;
  }
  segments.push({ start, end: to, offset });
  return segments;
}

/** The start (as wall-clock ms, i.e. a UTC timestamp of the local fields) of the bucket holding `wall`. */
function floorWall(wall: number, interval: Interval): number {
  const date = new Date(wall);
  switch (interval) {
    case 'hour':
      return Math.floor(wall / HOUR_MS) * HOUR_MS;
    case 'day':
      return Math.floor(wall / DAY_MS) * DAY_MS;
    case 'week': {
      const day = Math.floor(wall / DAY_MS) * DAY_MS;
      const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday 0
      return day - weekday * DAY_MS;
    }
    case 'month':
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  }
}

function nextWall(bucketStart: number, interval: Interval): number {
  switch (interval) {
    case 'hour':
      return bucketStart + HOUR_MS;
    case 'day':
      return bucketStart + DAY_MS;
    case 'week':
      return bucketStart + 7 * DAY_MS;
    case 'month': {
      const date = new Date(bucketStart);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
    }
  }
}

/** A bucket's identity: its local start, and for hours the offset too (the repeated hour of a fall-back is a bucket of its own). */
function keyOf(instant: number, offset: number, interval: Interval): string {
  const start = floorWall(instant + offset, interval);
  return interval === 'hour' ? `${start}|${offset}` : String(start);
}

function isoWithOffset(wall: number, offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const minutes = Math.abs(offset) / 60_000;
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${new Date(wall).toISOString().slice(0, 19)}${sign}${hh}:${mm}`;
}

export class TimeBucketError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeBucketError';
  }
}

/**
 * The local buckets covering [from, to) (epoch ms, 15-minute aligned), in
 * order, the first and last clamped to the range. Throws TimeBucketError when a
 * boundary falls off the quarter-hour grid (a zone with a historical offset
 * like +00:19:32) or there would be more than `maxBuckets`.
 */
export function localBuckets(from: number, to: number, interval: Interval, timeZone: string, maxBuckets = 10_000): LocalBucket[] {
  const starts: Array<{ at: number; offset: number }> = [];
  const segments = offsetSegments(timeZone, from, to);
  let previous: { key: string } | undefined;
  for (const segment of segments) {
    const key = keyOf(segment.start, segment.offset, interval);
    if (previous === undefined || previous.key !== key) starts.push({ at: segment.start, offset: segment.offset });
    let wall = nextWall(floorWall(segment.start + segment.offset, interval), interval);
    while (wall - segment.offset < segment.end) {
      starts.push({ at: wall - segment.offset, offset: segment.offset });
      if (starts.length > maxBuckets) throw new TimeBucketError(`more than ${maxBuckets} ${interval} buckets: choose a longer interval or a shorter range`);
      wall = nextWall(wall, interval);
    }
    previous = { key: keyOf(segment.end - QUARTER_MS, segment.offset, interval) };
  }
  return starts.map((start, index) => {
    if (start.at % QUARTER_MS !== 0) throw new TimeBucketError(`${timeZone} has an offset off the quarter-hour grid in this range`);
    const end = index + 1 < starts.length ? starts[index + 1]!.at : to;
    const wallStart = floorWall(start.at + start.offset, interval);
    return { start: start.at, end, label: isoWithOffset(wallStart, start.offset) };
  });
}

function floorTo(value: number, unit: number): number {
  return Math.floor(value / unit) * unit;
}

function cellsOf(from: number, to: number, grain: Grain, sign: 1 | -1): Cell[] {
  const unit = grain * 60_000;
  const cells: Cell[] = [];
  for (let start = from; start < to; start += unit) cells.push({ grain, start, sign });
  return cells;
}

function negate(cells: Cell[]): Cell[] {
  return cells.map((cell) => ({ ...cell, sign: cell.sign === 1 ? -1 : 1 }));
}

/** The fewest signed cells of grains GRAINS[level..] that sum to [from, to). */
function plan(from: number, to: number, level: number): Cell[] {
  if (from >= to) return [];
  const grain = GRAINS[level]!;
  if (level === GRAINS.length - 1) return cellsOf(from, to, grain, 1);
  const unit = grain * 60_000;
  // a coarser cell only pays when the interval covers at least half of one; from two on, it always does
  let best: Cell[] | undefined = to - from < 2 * unit ? plan(from, to, level + 1) : undefined;
  if (to - from < unit / 2) return best!;
  const heads = new Set([floorTo(from, unit), floorTo(from, unit) + (from % unit === 0 ? 0 : unit)]);
  const tails = new Set([floorTo(to, unit), floorTo(to, unit) + (to % unit === 0 ? 0 : unit)]);
  for (const head of heads) {
    for (const tail of tails) {
      if (head >= tail) continue;
      const cells = cellsOf(head, tail, grain, 1);
      if (best !== undefined && cells.length >= best.length) continue;
      const before = head > from ? plan(from, head, level + 1) : negate(plan(head, from, level + 1));
      const after = tail < to ? plan(tail, to, level + 1) : negate(plan(to, tail, level + 1));
      const candidate = [...before, ...cells, ...after];
      if (best === undefined || candidate.length < best.length) best = candidate;
    }
  }
  return best ?? plan(from, to, level + 1);
}

/** Decompositions by (start within its UTC day, length): the same shape shifted by whole days has the same cells, shifted. Bounded. */
const shapes = new Map<string, readonly Cell[]>();
const MAX_CACHED_SHAPES = 10_000;

/** [from, to) (epoch ms, multiples of 15 minutes) as signed rollup cells. */
export function decompose(from: number, to: number): Cell[] {
  if (from % QUARTER_MS !== 0 || to % QUARTER_MS !== 0) throw new TimeBucketError('decompose takes quarter-hour aligned instants');
  // every grain divides a day, so shifting a range by whole days shifts its best decomposition with it
  const day = floorTo(from, DAY_MS);
  const key = `${from - day}|${to - from}`;
  let shape = shapes.get(key);
  if (!shape) {
    shape = plan(from - day, to - day, 0);
    if (shapes.size >= MAX_CACHED_SHAPES) shapes.clear();
    shapes.set(key, shape);
  }
  return shape.map((cell) => ({ grain: cell.grain, start: cell.start + day, sign: cell.sign }));
}

/** Floors an instant to the quarter-hour grid. */
export function floorQuarter(instant: number): number {
  return floorTo(instant, QUARTER_MS);
}

/** Ceils an instant to the quarter-hour grid. */
export function ceilQuarter(instant: number): number {
  const floor = floorTo(instant, QUARTER_MS);
  return floor === instant ? instant : floor + QUARTER_MS;
}
