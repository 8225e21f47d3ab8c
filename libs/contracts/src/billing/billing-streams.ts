/**
 * The billing context's streams. An organization's billing account — its
 * plan, configuration and credit ledger — is one aggregate,
 * `billing-account-<organizationId>`: every grant, consumption and expiry
 * appends at the stream's expected revision, so the draw order over grants and
 * the running balance are decided on one consistent history.
 */
export const BillingStreams = {
  account: (organizationId: string): string => `billing-account-${organizationId}`,
} as const;

/** Every billing stream starts with this (the relay's context is `billing`). */
export const BILLING_STREAM_PREFIX = 'billing-';
export const BILLING_ACCOUNT_STREAM_PREFIX = 'billing-account-';
