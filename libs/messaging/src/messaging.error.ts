export enum MessagingErrorCode {
  /** A name, prefix or option is not usable (bad subject token, bad schema name, …). */
  InvalidArgument = 'INVALID_ARGUMENT',
  /** A stream or consumer exists with a configuration that cannot be changed in place. */
  IncompatibleConfiguration = 'INCOMPATIBLE_CONFIGURATION',
  /** JetStream did not acknowledge a publish. Safe to retry: publishes are deduplicated by message id. */
  PublishFailed = 'PUBLISH_FAILED',
  /** A message could not be decoded; it is dead-lettered without retries. */
  InvalidMessage = 'INVALID_MESSAGE',
  /** Thrown by a handler to dead-letter a message at once instead of retrying it. */
  Unprocessable = 'UNPROCESSABLE',
  /** Nobody listens on the command subject. */
  NoResponders = 'NO_RESPONDERS',
  /** The command handler did not answer in time. The command may still have been applied. */
  Timeout = 'TIMEOUT',
  /** The command handler answered with an error; `details.error` holds what it sent. */
  CommandFailed = 'COMMAND_FAILED',
  /** The connection was closed or lost. */
  Unavailable = 'UNAVAILABLE',
}

export class MessagingError extends Error {
  constructor(
    readonly code: MessagingErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MessagingError';
  }

  static is(error: unknown, code?: MessagingErrorCode): error is MessagingError {
    return error instanceof MessagingError && (code === undefined || error.code === code);
  }
}
