import { z } from 'zod';

/**
 * The roles a member holds in a workspace, most powerful first. `owner` is the
 * organization's owner role: an owner may do everything, including making or
 * removing other owners; `admin` manages members, keys and settings but cannot
 * touch owners; `billing` sees and manages money; `member` runs work;
 * `viewer` only reads.
 */
export const ROLES = ['owner', 'admin', 'billing', 'member', 'viewer'] as const;

export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

export function isRole(value: unknown): value is Role {
  return RoleSchema.safeParse(value).success;
}
