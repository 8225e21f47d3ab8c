/**
 * The runtime context's streams. A workspace's runtimes form one aggregate,
 * its catalogue (`runtime-workspace-<workspaceId>`): a name unique per
 * workspace and category, and one default per category, hold because every
 * change to the catalogue appends at the stream's expected revision —
 * concurrent set-default calls serialise there.
 */
export const RuntimeStreams = {
  workspace: (workspaceId: string): string => `runtime-workspace-${workspaceId}`,
} as const;

/** Every runtime stream starts with this: a filter for projections (the relay's context is `runtime`). */
export const RUNTIME_STREAM_PREFIX = 'runtime-';

/** The secret owner of a runtime's credentials in @steward/secrets (tenant first). */
export function runtimeSecretOwner(workspaceId: string, runtimeId: string): string {
  return `runtime:${workspaceId}:${runtimeId}`;
}
