export enum ReadModelErrorCode {
  /** A page, page size, limit, filter or time the query cannot use (the gateway answers 400). */
  InvalidArgument = 'INVALID_ARGUMENT',
  /** A pagination cursor this repository did not make, or one that was tampered with (400). */
  InvalidCursor = 'INVALID_CURSOR',
  /** An activity read entry that does not match its contract (dead-lettered by the consumer). */
  InvalidEntry = 'INVALID_ENTRY',
}

/** A query or a read entry the team read models refuse. */
export class ReadModelError extends Error {
  constructor(
    readonly code: ReadModelErrorCode,
    message: string,
    /** The query option at fault (`cursor`, `page`, …), for the caller to name it. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ReadModelError';
  }

  static is(error: unknown, code?: ReadModelErrorCode): error is ReadModelError {
    return error instanceof ReadModelError && (code === undefined || error.code === code);
  }
}
