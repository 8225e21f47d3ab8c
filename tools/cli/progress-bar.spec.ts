import { ProgressBar, formatCount, formatDuration, formatProgress, formatRate } from './progress-bar';

describe('progress bar formatting', () => {
  it('draws the bar, percent, count, rate, ETA and phase', () => {
    expect(formatProgress({ fraction: 0.5, eventsApplied: 123456, eventsPerSecond: 51234, etaSeconds: 72, phase: 'replay' }, 10)).toBe(
      '[#####.....]   50.0%  123,456 events  51.2k ev/s  ETA 1:12  replay',
    );
  });

  it('clamps the fraction and says the ETA is unknown before it can be estimated', () => {
    expect(formatProgress({ fraction: 1.7, eventsApplied: 0, eventsPerSecond: 0, etaSeconds: undefined }, 4)).toBe(
      '[####]  100.0%  0 events  0 ev/s  ETA --:--',
    );
    expect(formatProgress({ fraction: Number.NaN, eventsApplied: 3, eventsPerSecond: 3, etaSeconds: -1 }, 4)).toBe(
      '[....]    0.0%  3 events  3 ev/s  ETA --:--',
    );
  });

  it('formats counts, rates and durations', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(999)).toBe('999');
    expect(formatRate(950.4)).toBe('950');
    expect(formatRate(2_500_000)).toBe('2.5M');
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(3723)).toBe('1:02:03');
  });

  it('redraws in place on a TTY', () => {
    const out: string[] = [];
    const bar = new ProgressBar({ write: (text: string) => out.push(text) }, { tty: true });
    bar.update({ fraction: 0.25, eventsApplied: 10, eventsPerSecond: 10, etaSeconds: 3 });
    bar.update({ fraction: 0.5, eventsApplied: 20, eventsPerSecond: 10, etaSeconds: 2 });
    bar.finish('done');
    expect(out).toHaveLength(4);
    expect(out[0]).toMatch(/^\r\[#{6}\.{18}\]\s+25\.0%/);
    expect(out[0]!.endsWith('\u001b[K')).toBe(true);
    expect(out.slice(2)).toEqual(['\n', 'done\n']);
  });

  it('prints plain lines without a TTY, throttled except on a phase change', () => {
    const out: string[] = [];
    let now = 0;
    const bar = new ProgressBar({ write: (text: string) => out.push(text) }, { tty: false, lineIntervalMs: 1000, now: () => now });
    const at = (fraction: number, phase: string) => ({ fraction, eventsApplied: 1, eventsPerSecond: 1, etaSeconds: 1, phase });
    now = 5000;
    bar.update(at(0.1, 'replay'));
    now = 5500;
    bar.update(at(0.2, 'replay')); // throttled
    now = 5600;
    bar.update(at(0.3, 'swap')); // new phase: printed
    now = 6700;
    bar.update(at(0.4, 'swap'));
    expect(out.map((line) => line.trim().split(/\s+/)[1])).toEqual(['10.0%', '30.0%', '40.0%']);
    expect(out.every((line) => line.endsWith('\n') && !line.includes('\r'))).toBe(true);
  });
});
