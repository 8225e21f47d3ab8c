import type { GlobalPosition, RecordedEvent, SumGroup } from '@steward/event-store';
import { unconsumed, type AccountView } from './consumption.reactor';

const at = (prepare: number): GlobalPosition => ({ commit: 10n, prepare: BigInt(prepare) });
const BATCH_FROM = at(2);
const MARCH = { earliest: Date.parse('2026-03-02T00:00:00.000Z'), latest: Date.parse('2026-03-30T00:00:00.000Z'), unspanned: 0 };
const group: SumGroup = { key: 'org_a', sum: '1.5', first: at(5), last: at(9), count: 4, ...MARCH };

function recorded(prepare: number, time: string | undefined, cost: string): RecordedEvent {
  return {
    eventId: `evt-${prepare}`,
    type: 'UsageRecorded',
    version: 1,
    data: { organizationId: 'org_a', cost, ...(time === undefined ? {} : { time }) },
    metadata: {} as RecordedEvent['metadata'],
    streamId: 'usage-ws',
    streamRevision: BigInt(prepare),
    position: at(prepare),
    recordedAt: new Date('2026-04-10T00:00:00.000Z'),
  };
}

/** What reading the group's events again finds: its four calls, two in February. */
const STORED = [recorded(5, '2026-02-27T00:00:00.000Z', '0.5'), recorded(7, '2026-02-28T23:00:00.000Z', '0.25'), recorded(8, '2026-03-30T00:00:00.000Z', '0.5'), recorded(9, '2026-03-02T00:00:00.000Z', '0.25')];

describe('unconsumed: the part of a folded group an account has not consumed yet, by billing period', () => {
  const calls: Array<[string, GlobalPosition, GlobalPosition]> = [];
  const reread = async (organizationId: string, after: GlobalPosition, through: GlobalPosition): Promise<RecordedEvent[]> => {
    calls.push([organizationId, after, through]);
    return STORED.filter((event) => event.position.prepare > after.prepare && event.position.prepare <= through.prepare);
  };
  const utc = (consumedThrough?: string): AccountView => ({ consumedThrough, timeZone: 'UTC' });
  beforeEach(() => (calls.length = 0));

  it.each([
    ['nothing consumed yet', undefined],
    ['consumed before the group', '10/4'],
    ['consumed through an older transaction', '9/100'],
  ])('%s, all in one period: the store\'s sum as it is, nothing read again', async (_title, consumedThrough) => {
    const usage = await unconsumed(group, utc(consumedThrough), BATCH_FROM, reread);
    expect(usage).toEqual({ organizationId: 'org_a', usd: '1.5', first: '10/5', last: '10/9', events: 4, parts: [{ usagePeriod: '2026-03', usd: '1.5' }] });
    expect(calls).toEqual([]);
  });

  it.each([
    ['consumed through its last event', '10/9'],
    ['consumed past it', '11/1'],
  ])('%s: nothing', async (_title, consumedThrough) => {
    expect(await unconsumed(group, utc(consumedThrough), BATCH_FROM, reread)).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('a group straddling the consumed position: what lies after it, read again and split by period', async () => {
    const usage = await unconsumed(group, utc('10/7'), BATCH_FROM, reread);
    expect(usage).toEqual({ organizationId: 'org_a', usd: '0.75', first: '10/8', last: '10/9', events: 2, parts: [{ usagePeriod: '2026-03', usd: '0.75' }] });
    expect(calls).toEqual([['org_a', at(7), at(9)]]);
  });

  it('a group spanning two periods: read again from the batch\'s start and split exactly', async () => {
    const spanning: SumGroup = { ...group, earliest: Date.parse('2026-02-27T00:00:00.000Z') };
    const usage = await unconsumed(spanning, utc(), BATCH_FROM, reread);
    expect(usage?.parts).toEqual([
      { usagePeriod: '2026-02', usd: '0.75' },
      { usagePeriod: '2026-03', usd: '0.75' },
    ]);
    expect(usage?.usd).toBe('1.5');
    expect(calls).toEqual([['org_a', BATCH_FROM, at(9)]]);
  });

  it('the period is the account\'s: one UTC month can be two in another zone', async () => {
    // 2026-03-02T00:00Z .. 2026-03-30T00:00Z is March in UTC, but the 1st of March in Kiritimati (+14) starts
    // 2026-02-28T10:00Z: both ends are March there too; in Honolulu (-10) 2026-03-02T00:00Z is still 1 March
    expect((await unconsumed(group, { consumedThrough: undefined, timeZone: 'Pacific/Honolulu' }, BATCH_FROM, reread))?.parts).toEqual([{ usagePeriod: '2026-03', usd: '1.5' }]);
    const edge: SumGroup = { ...group, earliest: Date.parse('2026-02-28T23:00:00.000Z') };
    // February in UTC, March in Kiritimati: the same group is one period there
    await unconsumed(edge, { consumedThrough: undefined, timeZone: 'Pacific/Kiritimati' }, BATCH_FROM, reread);
    expect(calls).toEqual([]);
    await unconsumed(edge, utc(), BATCH_FROM, reread);
    expect(calls.length).toBe(1);
  });

  it('calls without a time: read again (each counts in the period it was recorded in)', async () => {
    const usage = await unconsumed({ ...group, unspanned: 1 }, utc(), BATCH_FROM, async (...args) => {
      calls.push(args);
      return [recorded(5, undefined, '1'), recorded(9, '2026-03-02T00:00:00.000Z', '0.5')];
    });
    expect(usage?.parts).toEqual([
      { usagePeriod: '2026-03', usd: '0.5' },
      { usagePeriod: '2026-04', usd: '1' },
    ]);
    expect(calls.length).toBe(1);
  });

  it('records nothing when the range after the consumed position holds none of its usage', async () => {
    expect(await unconsumed(group, utc('10/7'), BATCH_FROM, async () => [])).toBeUndefined();
  });
});
