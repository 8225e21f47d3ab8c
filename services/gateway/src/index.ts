export * from './gateway.app';
export * from './gateway.error';
export * from './problem';
export * from './route';
export { IDEMPOTENCY_HEADER, REPLAYED_HEADER, canonicalJson, bodyFingerprint } from './idempotency.store';
export type { RateLimitPolicy } from './rate-limiter';
export type { RateLimitSettings } from './request-pipeline';
export type { OpenApiInfo } from './openapi.document';
export type { ReadinessReport, CheckResult } from './readiness';
