import { z } from 'zod';
import { InstantSchema, nameText, text } from '../fields';
import { ResourceIdSchema } from '../ids';

/**
 * Ids are chosen by the caller (the gateway, with `derivedId`), so a retried
 * command targets the same aggregate; older forms stay valid (ResourceIdSchema).
 */
export const TeamIdSchema = ResourceIdSchema;

export const EmailSchema = z.email().max(320).transform((email) => email.toLowerCase());

export const DisplayNameSchema = nameText(200);

/** Hex SHA-256 of a secret (an API key, an invitation token): the secret itself never leaves the gateway. */
export const SecretHashSchema = z.string().regex(/^[a-f0-9]{64}$/, 'a lower-case hex SHA-256');

export const WORKSPACE_STATUSES = ['provisioning', 'active', 'suspended', 'attention'] as const;
export const WorkspaceStatusSchema = z.enum(WORKSPACE_STATUSES);
export type WorkspaceStatus = z.infer<typeof WorkspaceStatusSchema>;

export const CUSTOM_INSTRUCTIONS_MAX = 4000;
export const INVITATION_TTL_DAYS = 7;
export const INVITATION_MESSAGE_MAX = 2000;

/** True for an IANA time zone name this runtime knows (`Europe/Paris`, `UTC`). */
export function isTimeZone(value: string): boolean {
  if (value.length === 0 || value.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const TimeZoneSchema = text({ max: 64 }).refine(isTimeZone, 'not an IANA time zone');

/** An API key scope, e.g. `usage:write`, `jobs:read`. */
export const ApiKeyScopeSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9_-]*(:[a-z][a-z0-9_-]*)*$/, 'scopes look like `usage:write`');

/** The visible start of an API key (`stw_ab12cd`), shown in lists so people can tell keys apart. */
export const ApiKeyPrefixSchema = z.string().min(4).max(32).regex(/^[A-Za-z0-9_-]+$/);

/** Every instant of the team, usage and runtime contracts (see InstantSchema). */
export const IsoTimeSchema = InstantSchema;
