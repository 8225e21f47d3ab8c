import { z } from 'zod';
import { ResourceIdSchema } from '@steward/contracts';
import { MAX_PAGE_SIZE } from '@steward/team-rbac';

/** `page` (from 1) and `pageSize` (1–100, default 20) of a list route's query. */
export const pageQuery = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
};

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int(), page: z.number().int(), pageSize: z.number().int(), pageCount: z.number().int() });
}

/** Path ids: what every stored id matches, the current scheme and the older forms (anything else cannot exist). */
export const PathId = ResourceIdSchema;
