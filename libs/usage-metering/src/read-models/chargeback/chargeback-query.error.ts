export enum ChargebackQueryErrorCode {
  /** A query parameter the read model cannot answer (the gateway answers 400 naming `field`). */
  InvalidArgument = 'INVALID_ARGUMENT',
}

/** A chargeback query refused by the read model. */
export class ChargebackQueryError extends Error {
  constructor(
    readonly code: ChargebackQueryErrorCode,
    message: string,
    /** The query parameter at fault (`tz`, `interval`, `page`, …). */
    readonly field: string,
  ) {
    super(message);
    this.name = 'ChargebackQueryError';
  }

  static is(error: unknown): error is ChargebackQueryError {
    return error instanceof ChargebackQueryError;
  }
}
