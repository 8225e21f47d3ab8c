import { z } from 'zod';
import { ContractError, ContractErrorCode, EventRegistry, defineEvent } from './registry';
import type { EventEnvelope } from './envelope';

// A sample event whose shape changed: v1 had one `name`, v2 splits it.
const PersonRegisteredV1 = defineEvent({
  type: 'PersonRegistered',
  version: 1,
  context: 'sample',
  schema: z.object({ name: z.string() }).strict(),
});
const PersonRegisteredV2 = defineEvent({
  type: 'PersonRegistered',
  version: 2,
  context: 'sample',
  schema: z.object({ givenName: z.string(), familyName: z.string() }).strict(),
});

function registry(): EventRegistry {
  return new EventRegistry().register(PersonRegisteredV1, PersonRegisteredV2).registerUpcaster({
    type: 'PersonRegistered',
    fromVersion: 1,
    upcast: (data) => {
      const { name } = data as { name: string };
      const [givenName = '', ...rest] = name.split(' ');
      return { givenName, familyName: rest.join(' ') };
    },
  });
}

const envelope = (version: number, data: unknown): EventEnvelope => ({
  eventId: '6f1c1f43-3a34-4a2b-8a0e-3f6c2b9f0a11',
  type: 'PersonRegistered',
  version,
  streamId: 'person-1',
  data,
  metadata: { correlationId: 'c1', actor: { type: 'system', id: 'test' }, occurredAt: '2026-11-21T10:00:00Z' },
});

describe('EventRegistry', () => {
  it('upcasts a v1 event to the latest shape, validated', () => {
    const upcasted = registry().upcast(envelope(1, { name: 'Ada King Lovelace' }));
    expect(upcasted.version).toBe(2);
    expect(upcasted.data).toEqual({ givenName: 'Ada', familyName: 'King Lovelace' });
  });

  it('leaves a latest-version event as it is', () => {
    const upcasted = registry().upcast(envelope(2, { givenName: 'Ada', familyName: 'Lovelace' }));
    expect(upcasted.data).toEqual({ givenName: 'Ada', familyName: 'Lovelace' });
  });

  it('refuses data that does not match its version', () => {
    expect(() => registry().upcast(envelope(2, { name: 'Ada' }))).toThrow(ContractError);
  });

  it('refuses a version newer than the code knows', () => {
    try {
      registry().upcast(envelope(3, {}));
      throw new Error('expected a ContractError');
    } catch (error) {
      expect((error as ContractError).code).toBe(ContractErrorCode.UnknownVersion);
    }
  });

  it('names a missing upcaster', () => {
    const broken = new EventRegistry().register(PersonRegisteredV1, PersonRegisteredV2);
    expect(() => broken.upcast(envelope(1, { name: 'Ada' }))).toThrow(/no upcaster from PersonRegistered v1/);
  });

  it('lists types with their versions and context', () => {
    expect(registry().list()).toEqual([{ type: 'PersonRegistered', version: 2, context: 'sample', versions: [1, 2] }]);
    expect(registry().contextOf('PersonRegistered')).toBe('sample');
  });

  it('refuses a type defined twice at one version', () => {
    expect(() => new EventRegistry().register(PersonRegisteredV1, PersonRegisteredV1)).toThrow(/defined twice/);
  });
});
