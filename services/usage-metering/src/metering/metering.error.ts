/** Errors of usage metering. */
export enum MeteringErrorCode {
  /** An ingest message that is not a valid usage batch: dead-lettered with this error's message as the reason. */
  InvalidBatch = 'METERING_INVALID_BATCH',
}

export class MeteringError extends Error {
  constructor(
    readonly code: MeteringErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'MeteringError';
  }
}
