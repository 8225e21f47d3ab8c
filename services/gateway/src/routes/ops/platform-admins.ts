import type { Principal } from '../../route';

/**
 * Platform administrators: the people who run Steward itself and see every organization's operational
 * details (STEWARD_PLATFORM_ADMINS: comma-separated user ids or emails). Read once at start.
 */
export class PlatformAdmins {
  private readonly entries: ReadonlySet<string>;

  constructor(list: string | undefined) {
    this.entries = new Set(
      (list ?? '')
        .split(',')
        .map((entry) => entry.trim().toLowerCase())
        .filter((entry) => entry.length > 0),
    );
  }

  static fromEnv(env: NodeJS.ProcessEnv = process.env): PlatformAdmins {
    return new PlatformAdmins(env.STEWARD_PLATFORM_ADMINS);
  }

  includes(principal: Principal | undefined): boolean {
    if (principal === undefined || principal.kind !== 'user') return false;
    const fields = principal as unknown as { userId?: unknown; email?: unknown };
    return [fields.userId, fields.email].some((value) => typeof value === 'string' && this.entries.has(value.toLowerCase()));
  }
}
