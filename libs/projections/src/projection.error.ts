export enum ProjectionErrorCode {
  /** A projection name that is not a valid lower-case identifier. */
  InvalidDefinition = 'INVALID_DEFINITION',
  /** No projection by this name is registered. */
  UnknownProjection = 'UNKNOWN_PROJECTION',
  /** The checkpoint moved under us: another instance (or a rebuild) owns the projection now. */
  Fenced = 'FENCED',
  /** The leader lock's connection was lost: this instance must stop writing. */
  LeadershipLost = 'LEADERSHIP_LOST',
  /** The stored read model was built by another version of the projection: rebuild it. */
  VersionMismatch = 'VERSION_MISMATCH',
  /** A rebuild could not take the projection over (timeout, or another rebuild runs). */
  RebuildFailed = 'REBUILD_FAILED',
  /** Every event of a batch failed on its own: the code or the read model is at fault, not the events (nothing quarantined). */
  NothingApplies = 'NOTHING_APPLIES',
}

export class ProjectionError extends Error {
  constructor(
    readonly code: ProjectionErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProjectionError';
  }

  static isFenced(error: unknown): error is ProjectionError {
    return error instanceof ProjectionError && error.code === ProjectionErrorCode.Fenced;
  }
}
