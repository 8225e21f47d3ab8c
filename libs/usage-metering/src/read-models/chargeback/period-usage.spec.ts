import { periodParts } from './period-usage';

const at = (iso: string): number => Date.parse(iso);

describe('a period read as UTC months', () => {
  it('Pacific/Kiritimati’s March: March’s lines plus the last 14 hours of February’s calls, less March’s last 14 hours', () => {
    expect(periodParts(at('2026-02-28T10:00:00Z'), at('2026-03-31T10:00:00Z'))).toEqual([
      { month: '2026-02-01', mode: 'calls', ranges: [[at('2026-02-28T10:00:00Z'), at('2026-03-01T00:00:00Z')]] },
      { month: '2026-03-01', mode: 'lines-minus', ranges: [[at('2026-03-31T10:00:00Z'), at('2026-04-01T00:00:00Z')]] },
    ]);
  });

  it('America/Los_Angeles’s March across the DST change: March’s lines less its first 8 and plus April’s first 7 hours', () => {
    expect(periodParts(at('2026-03-01T08:00:00Z'), at('2026-04-01T07:00:00Z'))).toEqual([
      { month: '2026-03-01', mode: 'lines-minus', ranges: [[at('2026-03-01T00:00:00Z'), at('2026-03-01T08:00:00Z')]] },
      { month: '2026-04-01', mode: 'calls', ranges: [[at('2026-04-01T00:00:00Z'), at('2026-04-01T07:00:00Z')]] },
    ]);
  });

  it('a UTC month is its lines alone', () => {
    expect(periodParts(at('2026-03-01T00:00:00Z'), at('2026-04-01T00:00:00Z'))).toEqual([{ month: '2026-03-01', mode: 'lines-minus', ranges: [] }]);
  });
});
