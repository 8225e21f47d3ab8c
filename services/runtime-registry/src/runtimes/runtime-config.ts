import {
  isSecretField,
  runtimeProvider,
  supersededCredentialFields,
  validateRuntimeConfig,
  type RuntimeConfig,
  type RuntimeProviderId,
  type SecretReference,
} from '@steward/contracts';
import type { RuntimeEntry } from './runtime-catalogue.decider';
import { RuntimeError, RuntimeErrorCode } from './runtime.error';

/*
 * A runtime's configuration as the service checks it: validated against its provider's schema as a
 * whole, split into plain fields (in events) and secret values (in the secret store), and a change
 * merged with what is stored. Pure: the stored secret values are read by the runner and handed in.
 */

export type ConfigValues = Record<string, string | number | boolean>;

/** The configuration with the provider's defaults, or RUNTIME_INVALID_CONFIG naming every field at fault (never a value). */
export function validatedConfig(provider: RuntimeProviderId, config: unknown): ConfigValues {
  const result = validateRuntimeConfig(provider, config);
  if (result.ok) return result.config;
  const errors = result.issues.map((issue) => ({ field: ['config', ...issue.path].join('.'), message: issue.message }));
  throw new RuntimeError(
    RuntimeErrorCode.InvalidConfig,
    `invalid ${runtimeProvider(provider).label} configuration: ${errors.map((error) => `${error.field}: ${error.message}`).join('; ')}`,
    undefined,
    errors,
  );
}

/** Plain fields, and the values of the provider's secret fields. */
export function splitConfig(provider: RuntimeProviderId, config: ConfigValues): { config: RuntimeConfig; secretValues: Record<string, string> } {
  const plain: RuntimeConfig = {};
  const secretValues: Record<string, string> = {};
  for (const [field, value] of Object.entries(config)) {
    if (isSecretField(provider, field)) secretValues[field] = String(value);
    else plain[field] = value;
  }
  return { config: plain, secretValues };
}

/** What a change of configuration touches, known before any stored secret is read. */
export interface ConfigChange {
  /** The fields the change gives. */
  readonly changes: Readonly<Record<string, unknown>>;
  /** Fields of another credential form the change drops (a Databricks token after OAuth M2M, or back). */
  readonly superseded: readonly string[];
  /** Secret fields whose stored value goes: given anew, or superseded. */
  readonly replacedSecrets: readonly string[];
  /** The stored secrets the configuration keeps: their values are merged in. */
  readonly keptSecrets: Readonly<Record<string, SecretReference>>;
}

export function configChange(runtime: Pick<RuntimeEntry, 'provider' | 'secrets'>, changes: Readonly<Record<string, unknown>>): ConfigChange {
  const superseded = supersededCredentialFields(runtime.provider, Object.keys(changes));
  const replacedSecrets = [...Object.keys(changes), ...superseded].filter((field) => isSecretField(runtime.provider, field));
  const keptSecrets = Object.fromEntries(Object.entries(runtime.secrets).filter(([field]) => !replacedSecrets.includes(field)));
  return { changes, superseded, replacedSecrets, keptSecrets };
}

/**
 * The configuration a change leads to, validated as a whole: the stored plain fields and kept
 * secret values, without the superseded fields, overlaid with the change. Answers the plain fields
 * and the secret values the change gives (to be stored under new references).
 */
export function mergedConfig(
  runtime: Pick<RuntimeEntry, 'provider' | 'config'>,
  change: ConfigChange,
  keptSecretValues: Readonly<Record<string, string>>,
): { config: RuntimeConfig; newSecretValues: Record<string, string> } {
  const keptConfig = Object.fromEntries(Object.entries(runtime.config).filter(([field]) => !change.superseded.includes(field)));
  const merged = validatedConfig(runtime.provider, { ...keptConfig, ...keptSecretValues, ...change.changes });
  const { config } = splitConfig(runtime.provider, merged);
  const newSecretValues = Object.fromEntries(change.replacedSecrets.filter((field) => merged[field] !== undefined).map((field) => [field, String(merged[field])]));
  return { config, newSecretValues };
}
