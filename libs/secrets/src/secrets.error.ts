export enum SecretsErrorCode {
  /** STEWARD_MASTER_KEY is missing where it is required, or is not 32 bytes of base64. */
  InvalidMasterKey = 'INVALID_MASTER_KEY',
  /** A stored secret was sealed with a master key the keyring does not hold (rotation needs the old key). */
  UnknownKey = 'UNKNOWN_KEY',
  /** The ciphertext, its wrapped data key or its binding to ref and owner does not authenticate. */
  Tampered = 'TAMPERED',
  /** The ref exists but belongs to another owner. */
  OwnerMismatch = 'OWNER_MISMATCH',
  /** A ref, owner or value is empty or too long. */
  InvalidArgument = 'INVALID_ARGUMENT',
}

/** The one error class of libs/secrets. Messages never contain a secret's value. */
export class SecretsError extends Error {
  constructor(
    readonly code: SecretsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SecretsError';
  }
}
