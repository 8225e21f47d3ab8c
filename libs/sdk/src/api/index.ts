/**
 * The types of Steward's HTTP API, generated from the gateway's `/openapi.json` (`npm run openapi:client`), for
 * `openapi-fetch`: `createClient<StewardApiPaths>({ baseUrl })` gives typed paths, parameters, bodies and answers.
 */
export type { components as StewardApiComponents, operations as StewardApiOperations, paths as StewardApiPaths } from './steward-api.generated.js';
