/** What a masked secret starts with. */
export const MASK = '••••';

/**
 * The only form of a secret that is ever shown: `••••` and its last 4
 * characters (`••••abcd`), or only `••••` when the secret is shorter than 12
 * characters (its last 4 would give away a third of it or more).
 */
export function maskSecret(value: string): string {
  const chars = [...value];
  if (chars.length < 12) return MASK;
  return `${MASK}${chars.slice(-4).join('')}`;
}
