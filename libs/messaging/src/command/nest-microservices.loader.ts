/**
 * `@nestjs/microservices` 12 is an ES module. Loading it only when a command
 * client or server is actually built keeps `@steward/messaging` importable
 * from plain CommonJS test runs that never touch commands; Node 24 loads it
 * through require(esm), jest needs `--experimental-vm-modules`.
 */
export type NestMicroservices = typeof import('@nestjs/microservices');

let loaded: NestMicroservices | undefined;

export function nestMicroservices(): NestMicroservices {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberate lazy load, see above
  loaded ??= require('@nestjs/microservices') as NestMicroservices;
  return loaded;
}
