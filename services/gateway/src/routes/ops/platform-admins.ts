import type { Principal } from '../../route';

/**
 * Platform administrators: the people who run Steward itself and see every organization's operational
 * details. Who they are is team-rbac's answer at sign-in (STEWARD_PLATFORM_ADMINS, user ids or emails, and
 * the bootstrap's grant to a fresh install's owner): the principal carries it as `platformAdmin`.
 */
export class PlatformAdmins {
  includes(principal: Principal | undefined): boolean {
    return principal !== undefined && principal.kind === 'user' && (principal as { platformAdmin?: unknown }).platformAdmin === true;
  }
}
