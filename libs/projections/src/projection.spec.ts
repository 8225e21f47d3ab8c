import { ProjectionErrorCode } from './projection.error';
import { defineProjection, projectionFilter, projectionSchema } from './projection';
import { rebuildProgress } from './projection.rebuilder';

const migrate = async (): Promise<void> => undefined;

describe('defineProjection', () => {
  it('takes the handler keys as the event-type filter when none is given', () => {
    const projection = defineProjection({ name: 'jobs', version: 1, migrate, handlers: { JobStarted: async () => undefined } });
    expect(projectionFilter(projection)).toEqual({ eventTypes: ['JobStarted'] });
  });

  it('filters nothing for a batch handler without eventTypes or streamPrefixes', () => {
    const projection = defineProjection({ name: 'all', version: 1, migrate, handle: async () => undefined });
    expect(projectionFilter(projection)).toBeUndefined();
    expect(projectionFilter({ ...projection, streamPrefixes: ['job-'] })).toEqual({ streamPrefixes: ['job-'] });
  });

  it.each([
    ['Upper', 1],
    ['a__b', 1],
    ['x'.repeat(41), 1],
    ['ok', 0],
  ])('refuses name %j version %j', (name, version) => {
    expect(() => defineProjection({ name, version, migrate, handle: async () => undefined })).toThrow(
      expect.objectContaining({ code: ProjectionErrorCode.InvalidDefinition }),
    );
  });

  it('wants exactly one of handle or handlers', () => {
    expect(() => defineProjection({ name: 'none', version: 1, migrate })).toThrow(/exactly one/);
    expect(() =>
      defineProjection({ name: 'both', version: 1, migrate, handle: async () => undefined, handlers: {} }),
    ).toThrow(/exactly one/);
  });

  it('puts each read model in its own schema', () => {
    expect(projectionSchema('event-counts')).toBe('rm_event_counts');
  });
});

describe('rebuildProgress', () => {
  const head = { commit: 900n, prepare: 1000n };

  it('estimates the fraction from positions and the ETA from the rate so far', () => {
    const progress = rebuildProgress('x', 'replay', { commit: 500n, prepare: 250n }, head, 250, 2000);
    expect(progress.fraction).toBe(0.25);
    expect(progress.eventsPerSecond).toBe(125);
    expect(progress.etaSeconds).toBe(6);
  });

  it('is complete when done, and unknown before the first page', () => {
    expect(rebuildProgress('x', 'done', { commit: 1n, prepare: 1n }, head, 1, 10).fraction).toBe(1);
    expect(rebuildProgress('x', 'replay', { commit: 0n, prepare: 0n }, head, 0, 0).etaSeconds).toBeUndefined();
    expect(rebuildProgress('x', 'replay', { commit: 0n, prepare: 0n }, { commit: 0n, prepare: 0n }, 0, 5).fraction).toBe(1);
  });
});
