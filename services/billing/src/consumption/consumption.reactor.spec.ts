import type { GlobalPosition, SumGroup } from '@steward/event-store';
import { unconsumed } from './consumption.reactor';

const at = (prepare: number): GlobalPosition => ({ commit: 10n, prepare: BigInt(prepare) });
const group: SumGroup = { key: 'org_a', sum: '1.5', first: at(5), last: at(9), count: 4 };

describe('unconsumed: the part of a folded group an account has not consumed yet', () => {
  const calls: Array<[string, GlobalPosition, GlobalPosition]> = [];
  const resum = async (organizationId: string, after: GlobalPosition, through: GlobalPosition): Promise<SumGroup | undefined> => {
    calls.push([organizationId, after, through]);
    return { key: organizationId, sum: '0.25', first: at(8), last: at(9), count: 2 };
  };
  beforeEach(() => (calls.length = 0));

  it.each([
    ['nothing consumed yet', undefined, { usd: '1.5', first: '10/5', last: '10/9', events: 4 }, 0],
    ['consumed before the group', '10/4', { usd: '1.5', first: '10/5', last: '10/9', events: 4 }, 0],
    ['consumed through an older transaction', '9/100', { usd: '1.5', first: '10/5', last: '10/9', events: 4 }, 0],
    ['consumed through its last event', '10/9', undefined, 0],
    ['consumed past it', '11/1', undefined, 0],
    ['consumed through its first event: the rest added up again', '10/5', { usd: '0.25', first: '10/8', last: '10/9', events: 2 }, 1],
    ['consumed through the middle', '10/7', { usd: '0.25', first: '10/8', last: '10/9', events: 2 }, 1],
  ])('%s', async (_title, consumedThrough, expected, resums) => {
    const usage = await unconsumed(group, consumedThrough, resum);
    expect(usage).toEqual(expected === undefined ? undefined : { organizationId: 'org_a', ...expected });
    expect(calls.length).toBe(resums);
    if (resums) expect(calls[0]).toEqual(['org_a', { commit: 10n, prepare: BigInt(consumedThrough!.split('/')[1]!) }, at(9)]);
  });

  it('records nothing when the range after the consumed position holds none of its usage', async () => {
    expect(await unconsumed(group, '10/7', async () => undefined)).toBeUndefined();
  });
});
