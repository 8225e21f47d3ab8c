/** Model Settings' reads and writes: the workspace's models (prices, API key status) and PUT of one model. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema.generated';

export type ModelPage = paths['/v1/workspaces/{wsId}/models']['get']['responses'][200]['content']['application/json'];
export type ModelSettings = ModelPage['items'][number];
export type UnpricedModel = ModelPage['unpricedModels'][number];
export type ModelChange = paths['/v1/workspaces/{wsId}/models/{provider}/{model}']['put']['requestBody']['content']['application/json'];

export const MODEL_PAGE_SIZE = 20;

const modelKeys = (wsId: string) => ['workspaces', wsId, 'models'] as const;

export function useModels(wsId: string, q: string, page: number) {
  const query = { page, pageSize: MODEL_PAGE_SIZE, ...(q ? { q } : {}) };
  return useQuery({
    queryKey: [...modelKeys(wsId), query],
    placeholderData: keepPreviousData,
    queryFn: () => unwrap(api.GET('/v1/workspaces/{wsId}/models', { params: { path: { wsId }, query } })),
  });
}

/** Every model of the search, page after page (the CSV export). */
export async function allModels(wsId: string, q: string): Promise<ModelSettings[]> {
  const all: ModelSettings[] = [];
  for (let page = 1; ; page++) {
    const answer = await unwrap(api.GET('/v1/workspaces/{wsId}/models', { params: { path: { wsId }, query: { page, pageSize: 100, ...(q ? { q } : {}) } } }));
    all.push(...answer.items);
    if (page >= answer.pageCount) return all;
  }
}

export function usePutModel(wsId: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: ({ provider, model, change }: { provider: string; model: string; change: ModelChange }) =>
      unwrap(api.PUT('/v1/workspaces/{wsId}/models/{provider}/{model}', { params: { path: { wsId, provider, model } }, body: change })),
    onSuccess: () => queries.invalidateQueries({ queryKey: modelKeys(wsId) }),
  });
}
