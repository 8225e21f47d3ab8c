import { z } from 'zod';
import { text } from '../fields';
import { EventRegistry, defineEvent, type DefinedEvent } from '../registry';
import { IsoTimeSchema, TeamIdSchema } from '../team/team-fields';
import {
  RuntimeCategorySchema,
  RuntimeConfigSchema,
  RuntimeIdSchema,
  RuntimeNameSchema,
  RuntimeProviderIdSchema,
  RuntimeTestFailureSchema,
  RuntimeTestIdSchema,
  SecretReferencesSchema,
  runtimeTestFindings,
} from './runtime-fields';

/*
 * The runtime context's events, version 1, all in the workspace's catalogue
 * stream (RuntimeStreams.workspace). Secrets never travel: `secrets` maps each
 * secret field to its reference in @steward/secrets and its masked hint.
 */

const scoped = { organizationId: TeamIdSchema, workspaceId: TeamIdSchema, runtimeId: RuntimeIdSchema };

export const RuntimeRegistered = defineEvent({
  type: 'RuntimeRegistered',
  version: 1,
  context: 'runtime',
  schema: z
    .object({
      ...scoped,
      name: RuntimeNameSchema,
      category: RuntimeCategorySchema,
      provider: RuntimeProviderIdSchema,
      /** The non-secret configuration fields. */
      config: RuntimeConfigSchema,
      secrets: SecretReferencesSchema,
      registeredBy: text({ min: 1, max: 200 }),
      registeredAt: IsoTimeSchema,
    })
    .strict(),
});

/** The runtime's name and/or configuration changed: the whole new configuration (a secret left alone keeps its reference). */
export const RuntimeReconfigured = defineEvent({
  type: 'RuntimeReconfigured',
  version: 1,
  context: 'runtime',
  schema: z
    .object({
      ...scoped,
      name: RuntimeNameSchema,
      previousName: RuntimeNameSchema,
      config: RuntimeConfigSchema,
      secrets: SecretReferencesSchema,
      /** Secret fields given a new value by this change. */
      changedSecrets: z.array(text({ min: 1, max: 64 })),
      reconfiguredBy: text({ min: 1, max: 200 }),
      reconfiguredAt: IsoTimeSchema,
    })
    .strict(),
});

/** The workspace's default runtime of `category` is now `runtimeId`; the previous default (if any) no longer is, in this same event. */
export const RuntimeDefaultSet = defineEvent({
  type: 'RuntimeDefaultSet',
  version: 1,
  context: 'runtime',
  schema: z
    .object({
      ...scoped,
      category: RuntimeCategorySchema,
      previousDefaultRuntimeId: RuntimeIdSchema.nullable(),
      setBy: text({ min: 1, max: 200 }),
      setAt: IsoTimeSchema,
    })
    .strict(),
});

export const RuntimeTestRequested = defineEvent({
  type: 'RuntimeTestRequested',
  version: 1,
  context: 'runtime',
  schema: z
    .object({ ...scoped, testId: RuntimeTestIdSchema, requestedBy: text({ min: 1, max: 200 }), requestedAt: IsoTimeSchema })
    .strict(),
});

const testOutcome = { ...scoped, testId: RuntimeTestIdSchema, ...runtimeTestFindings };

export const RuntimeTestSucceeded = defineEvent({
  type: 'RuntimeTestSucceeded',
  version: 1,
  context: 'runtime',
  schema: z.object(testOutcome).strict(),
});

export const RuntimeTestFailed = defineEvent({
  type: 'RuntimeTestFailed',
  version: 1,
  context: 'runtime',
  schema: z.object({ ...testOutcome, failure: RuntimeTestFailureSchema }).strict(),
});

/** The runtime is gone; its secrets were deleted with it. `wasDefault`: its category has no default now. */
export const RuntimeDeleted = defineEvent({
  type: 'RuntimeDeleted',
  version: 1,
  context: 'runtime',
  schema: z
    .object({
      ...scoped,
      name: RuntimeNameSchema,
      category: RuntimeCategorySchema,
      wasDefault: z.boolean(),
      deletedBy: text({ min: 1, max: 200 }),
      deletedAt: IsoTimeSchema,
    })
    .strict(),
});

export const RUNTIME_EVENTS = [
  RuntimeRegistered,
  RuntimeReconfigured,
  RuntimeDefaultSet,
  RuntimeTestRequested,
  RuntimeTestSucceeded,
  RuntimeTestFailed,
  RuntimeDeleted,
] as const;

export type RuntimeEvent = DefinedEvent<(typeof RUNTIME_EVENTS)[number]>;
export type RuntimeEventType = RuntimeEvent['type'];
export type RuntimeEventOf<T extends RuntimeEventType> = Extract<RuntimeEvent, { type: T }>;

export const runtimeEventRegistry = new EventRegistry().register(...RUNTIME_EVENTS);
