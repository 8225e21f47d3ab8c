import { z } from 'zod';
import { text } from '../fields';
import type { CommandAnswer } from '../command';
import { TeamIdSchema } from '../team/team-fields';
import {
  RuntimeIdSchema,
  RuntimeNameSchema,
  RuntimeProviderIdSchema,
  RuntimeTestFailureSchema,
  RuntimeTestIdSchema,
  runtimeTestFindings,
  type RuntimeConfig,
} from './runtime-fields';

/*
 * The payloads of the runtime context's commands (`<prefix>cmd.runtime.<Type>`
 * over NATS request/reply, never persisted). `config` carries secret values
 * in plain text on the way in: the runtime-registry service splits them off
 * into encrypted storage before anything is stored or logged; they are never
 * in an event nor in an answer. Ids of new things are chosen by the caller.
 */

/** A provider's configuration as sent: validated against the provider's schema by the service. */
const ConfigInput = z.record(text({ min: 1, max: 64 }), z.unknown());

export const RegisterRuntimePayload = z
  .object({
    workspaceId: TeamIdSchema,
    runtimeId: RuntimeIdSchema,
    name: RuntimeNameSchema,
    provider: RuntimeProviderIdSchema,
    config: ConfigInput,
    /** "Set as default runtime for this workspace", in the same step. */
    setAsDefault: z.boolean().default(false),
  })
  .strict();

export const ReconfigureRuntimePayload = z
  .object({
    workspaceId: TeamIdSchema,
    runtimeId: RuntimeIdSchema,
    name: RuntimeNameSchema.optional(),
    /**
     * Fields to change. The service merges them with the stored configuration (a secret field left out
     * keeps its stored value; a field of another credential form drops the old form's fields) and
     * validates the result; RUNTIME_INVALID_CONFIG names every field at fault.
     */
    config: ConfigInput.optional(),
  })
  .strict();

export const SetDefaultRuntimePayload = z.object({ workspaceId: TeamIdSchema, runtimeId: RuntimeIdSchema }).strict();

export const RequestRuntimeTestPayload = z.object({ workspaceId: TeamIdSchema, runtimeId: RuntimeIdSchema, testId: RuntimeTestIdSchema }).strict();

/** The connection-test worker's outcome (Steward's own services only). */
export const RecordRuntimeTestResultPayload = z
  .object({
    workspaceId: TeamIdSchema,
    runtimeId: RuntimeIdSchema,
    testId: RuntimeTestIdSchema,
    outcome: z.enum(['succeeded', 'failed']),
    failure: RuntimeTestFailureSchema.optional(),
    ...runtimeTestFindings,
  })
  .strict();

export const DeleteRuntimePayload = z.object({ workspaceId: TeamIdSchema, runtimeId: RuntimeIdSchema }).strict();

export const RuntimeCommandPayloads = {
  RegisterRuntime: RegisterRuntimePayload,
  ReconfigureRuntime: ReconfigureRuntimePayload,
  SetDefaultRuntime: SetDefaultRuntimePayload,
  RequestRuntimeTest: RequestRuntimeTestPayload,
  RecordRuntimeTestResult: RecordRuntimeTestResultPayload,
  DeleteRuntime: DeleteRuntimePayload,
} as const;

export type RuntimeCommandType = keyof typeof RuntimeCommandPayloads;
export type RuntimeCommandPayload<T extends RuntimeCommandType> = z.output<(typeof RuntimeCommandPayloads)[T]>;
export type RuntimeCommandInput<T extends RuntimeCommandType> = z.input<(typeof RuntimeCommandPayloads)[T]>;

/**
 * What a runtime handler answers when it accepts a command (`changed: false`:
 * e.g. setting the current default again).
 */
export type RuntimeCommandAnswer = CommandAnswer;

/**
 * ReconfigureRuntime's answer: the runtime as configured once the command is stored (the change merged
 * with what was kept), secrets as their masked hints only.
 */
export interface ReconfigureRuntimeAnswer extends RuntimeCommandAnswer {
  /** Absent when the runtime is gone by then (a resent command after a delete). */
  readonly runtime?: {
    readonly name: string;
    readonly config: RuntimeConfig;
    readonly secrets: Readonly<Record<string, { readonly hint: string }>>;
  };
}

/** The answer of each runtime command (RuntimeCommandAnswer unless it tells more). */
export type RuntimeCommandAnswerOf<T extends RuntimeCommandType> = T extends 'ReconfigureRuntime' ? ReconfigureRuntimeAnswer : RuntimeCommandAnswer;
