/**
 * Lets `node -r @swc-node/register` load @steward/sdk from its sources: the SDK is an ES module package whose
 * relative imports name the emitted `.js` files (`./client.js`), which do not exist next to the `.ts` ones.
 * A relative `.js` request that does not resolve is tried as `.ts` (what jest's moduleNameMapper does).
 * Imported first by tools/demo.ts, before anything that loads the SDK.
 */
import Module from 'node:module';

type Resolve = (request: string, parent: unknown, ...rest: unknown[]) => string;
const loader = Module as unknown as { _resolveFilename: Resolve };
const original = loader._resolveFilename;

loader._resolveFilename = function resolveTsForJs(this: unknown, request: string, parent: unknown, ...rest: unknown[]): string {
  try {
    return original.call(this, request, parent, ...rest);
  } catch (error) {
    if (!/^\.{1,2}\//.test(request) || !request.endsWith('.js')) throw error;
    return original.call(this, `${request.slice(0, -3)}.ts`, parent, ...rest);
  }
};
