/** Runtime Environments' reads and writes, all through the generated client. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Role } from '../../api/account.queries';
import { api, idempotencyKey, unwrap } from '../../api/client';
import type { paths } from '../../api/schema.generated';

export type ProviderCatalogue = paths['/v1/runtime-providers']['get']['responses'][200]['content']['application/json'];
export type ProviderCategory = ProviderCatalogue['categories'][number];
export type RuntimeProvider = ProviderCategory['providers'][number];
export type SetupGuide = ProviderCatalogue['guides'][number];
export type RuntimePage = paths['/v1/workspaces/{wsId}/runtimes']['get']['responses'][200]['content']['application/json'];
export type Runtime = RuntimePage['items'][number];
export type RuntimeCategory = Runtime['category'];
export type RuntimeTest = NonNullable<Runtime['lastTest']>;
type CreateBody = paths['/v1/workspaces/{wsId}/runtimes']['post']['requestBody']['content']['application/json'];
type UpdateBody = NonNullable<paths['/v1/workspaces/{wsId}/runtimes/{id}']['patch']['requestBody']>['content']['application/json'];

export const RUNTIME_PAGE_SIZE = 100;

/**
 * Who sees which buttons, as the permission matrix grants them (runtimes.write: owners and admins;
 * runtimes.test: members too). The API still decides: a refusal shows the guide's restriction message.
 */
export function mayManageRuntimes(role: Role | undefined): boolean {
  return role === 'owner' || role === 'admin';
}

export function mayTestRuntimes(role: Role | undefined): boolean {
  return mayManageRuntimes(role) || role === 'member';
}
/** How long the console waits for a connection test's outcome before saying it is still running. */
const TEST_WAIT_MS = 60_000;

const runtimeKeys = (wsId: string) => ['workspaces', wsId, 'runtimes'] as const;

export function useProviderCatalogue() {
  return useQuery({ queryKey: ['runtime-providers'], staleTime: Infinity, queryFn: () => unwrap(api.GET('/v1/runtime-providers')) });
}

export function useRuntimes(wsId: string, category: RuntimeCategory | undefined, page: number) {
  const query = { page, pageSize: RUNTIME_PAGE_SIZE, ...(category !== undefined ? { category } : {}) };
  return useQuery({
    queryKey: [...runtimeKeys(wsId), query],
    queryFn: () => unwrap(api.GET('/v1/workspaces/{wsId}/runtimes', { params: { path: { wsId }, query } })),
  });
}

function useRuntimeMutation<T, R>(wsId: string, run: (input: T) => Promise<R>) {
  const queries = useQueryClient();
  return useMutation({ mutationFn: run, onSettled: () => queries.invalidateQueries({ queryKey: runtimeKeys(wsId) }) });
}

export function useCreateRuntime(wsId: string) {
  return useRuntimeMutation(wsId, (body: CreateBody) =>
    unwrap(api.POST('/v1/workspaces/{wsId}/runtimes', { params: { path: { wsId }, header: { 'Idempotency-Key': idempotencyKey() } }, body })),
  );
}

export function useUpdateRuntime(wsId: string) {
  return useRuntimeMutation(wsId, ({ id, body }: { id: string; body: UpdateBody }) =>
    unwrap(api.PATCH('/v1/workspaces/{wsId}/runtimes/{id}', { params: { path: { wsId, id }, header: { 'Idempotency-Key': idempotencyKey() } }, body })),
  );
}

export function useDeleteRuntime(wsId: string) {
  return useRuntimeMutation(wsId, (id: string) => unwrap(api.DELETE('/v1/workspaces/{wsId}/runtimes/{id}', { params: { path: { wsId, id } } })));
}

export function useSetDefaultRuntime(wsId: string) {
  return useRuntimeMutation(wsId, (id: string) =>
    unwrap(api.POST('/v1/workspaces/{wsId}/runtimes/{id}/default', { params: { path: { wsId, id }, header: { 'Idempotency-Key': idempotencyKey() } }, body: {} })),
  );
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a connection test and waits for its outcome (the runtime's lastTest with this test's id, no longer pending). */
export function useTestRuntime(wsId: string) {
  return useRuntimeMutation(wsId, async (id: string): Promise<RuntimeTest> => {
    const accepted = await unwrap(
      api.POST('/v1/workspaces/{wsId}/runtimes/{id}/test', { params: { path: { wsId, id }, header: { 'Idempotency-Key': idempotencyKey() } }, body: {} }),
    );
    const deadline = Date.now() + TEST_WAIT_MS;
    for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
      const runtime = await unwrap(api.GET('/v1/workspaces/{wsId}/runtimes/{id}', { params: { path: { wsId, id } } }));
      const test = runtime.lastTest;
      if (test !== null && test.testId === accepted.testId && test.status !== 'pending') return test;
      if (Date.now() > deadline) throw new Error('the test is still running: its outcome will show on the card');
      await pause(wait);
    }
  });
}
