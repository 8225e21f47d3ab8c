import type { SelectQueryBuilder } from 'kysely';
import { ReadModelError, ReadModelErrorCode } from './read-model.error';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  /** 1-based. Default 1. */
  readonly page?: number;
  /** Default 20, at most 100. */
  readonly pageSize?: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  /** ceil(total / pageSize); 0 when there is nothing. */
  readonly pageCount: number;
}

export interface PageWindow {
  readonly page: number;
  readonly pageSize: number;
  readonly offset: number;
}

export function pageWindow(request: PageRequest = {}): PageWindow {
  const page = request.page ?? 1;
  const pageSize = request.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(page) || page < 1 || page > 1_000_000) {
    throw new ReadModelError(ReadModelErrorCode.InvalidArgument, `page must be an integer from 1, got ${page}`, 'page');
  }
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new ReadModelError(ReadModelErrorCode.InvalidArgument, `pageSize must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${pageSize}`, 'pageSize');
  }
  return { page, pageSize, offset: (page - 1) * pageSize };
}

export function pageOf<T>(items: T[], total: number, window: PageWindow): Page<T> {
  return { items, total, page: window.page, pageSize: window.pageSize, pageCount: Math.ceil(total / window.pageSize) };
}

/**
 * One page of a filtered query with the total over all of it, read at once:
 * `ordered` selects and orders the rows of `base`; the page is cut from them,
 * the total counts `base`.
 */
export async function pageOfQuery<DB, TB extends keyof DB, O, Row, View>(
  base: SelectQueryBuilder<DB, TB, O>,
  window: PageWindow,
  ordered: (base: SelectQueryBuilder<DB, TB, O>) => SelectQueryBuilder<DB, TB, Row>,
  view: (row: Row) => View,
): Promise<Page<View>> {
  // kysely cannot resolve a selection on a generic builder's row: it is `{ n }`, as selected here
  const total = base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow() as unknown as Promise<{ readonly n: string }>;
  const [rows, count] = await Promise.all([ordered(base).limit(window.pageSize).offset(window.offset).execute(), total]);
  return pageOf(rows.map(view), Number(count.n), window);
}

/** `%text%` for ILIKE, with the pattern characters of `text` escaped (`\` is PostgreSQL's default LIKE escape). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function iso(value: Date): string;
export function iso(value: Date | null): string | null;
export function iso(value: Date | null): string | null {
  return value === null ? null : value.toISOString();
}
