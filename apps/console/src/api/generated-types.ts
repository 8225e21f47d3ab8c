/** What a generated operation answers with a status, and what it takes as its JSON body: the schema's own types. */
import type { operations } from './schema.generated';

export type AnswerOf<O extends keyof operations, S extends number> = operations[O]['responses'] extends { [K in S]: { content: { 'application/json': infer T } } } ? T : never;
export type BodyOf<O extends keyof operations> = operations[O] extends { requestBody?: { content: { 'application/json': infer T } } } ? T : never;
