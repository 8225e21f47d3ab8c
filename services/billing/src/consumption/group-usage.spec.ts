import type { RecordedEvent } from '@steward/event-store';
import { groupUsage } from './consumption.reactor';

let position = 0;
function usage(organizationId: string, type: 'UsageRecorded' | 'UsageCorrected', time: string, usd: string): RecordedEvent {
  position += 1;
  return {
    eventId: `evt-${position}`,
    type,
    version: 1,
    data: type === 'UsageRecorded' ? { organizationId, time, cost: usd } : { organizationId, time, delta: usd },
    metadata: {} as RecordedEvent['metadata'],
    streamId: `usage-${organizationId}`,
    streamRevision: BigInt(position),
    position: { commit: BigInt(position), prepare: 0n },
    recordedAt: new Date('2026-03-10T00:00:00.000Z'),
  };
}

describe('groupUsage', () => {
  it('splits each organization’s batch by the billing period of its calls in the account’s zone, exactly', () => {
    const events = [
      usage('org_a', 'UsageRecorded', '2026-01-31T23:30:00.000Z', '0.1'),
      // 1 March in Kiritimati (+14): March for org_b, February for org_a (UTC)
      usage('org_b', 'UsageRecorded', '2026-02-28T11:00:00.000Z', '0.2'),
      usage('org_a', 'UsageRecorded', '2026-02-28T11:00:00.000Z', '0.2'),
      usage('org_a', 'UsageCorrected', '2026-01-15T00:00:00.000Z', '-0.05'),
      usage('org_a', 'UsageRecorded', '2026-03-01T00:00:00.000Z', '0.000000000001'),
    ];
    const zones: Record<string, string> = { org_a: 'UTC', org_b: 'Pacific/Kiritimati' };
    const groups = groupUsage(events, () => undefined, (organizationId) => zones[organizationId]!);
    expect(groups.map((group) => [group.organizationId, group.usd, group.events, group.parts])).toEqual([
      [
        'org_a',
        '0.250000000001',
        4,
        [
          { usagePeriod: '2026-01', usd: '0.05' },
          { usagePeriod: '2026-02', usd: '0.2' },
          { usagePeriod: '2026-03', usd: '0.000000000001' },
        ],
      ],
      ['org_b', '0.2', 1, [{ usagePeriod: '2026-03', usd: '0.2' }]],
    ]);
  });

  it('leaves out what an account consumed already', () => {
    const events = [usage('org_c', 'UsageRecorded', '2026-01-01T00:00:00.000Z', '1'), usage('org_c', 'UsageRecorded', '2026-02-01T00:00:00.000Z', '2')];
    const through = `${events[0]!.position.commit}/0`;
    expect(groupUsage(events, () => through)[0]!.parts).toEqual([{ usagePeriod: '2026-02', usd: '2' }]);
  });
});
