/**
 * docker-compose.yml, checked without Docker: valid against the Compose Specification's schema, and
 * its `steward` profile runs every process of libs/config/src/processes.ts from the one image, after
 * the migration, with the master key from the environment.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { stewardProcesses } from '@steward/config';

const ROOT = join(__dirname, '..', '..');

interface ComposeService {
  readonly image?: string;
  readonly build?: unknown;
  readonly profiles?: readonly string[];
  readonly command?: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
  readonly depends_on?: Readonly<Record<string, { condition: string }>>;
  readonly ports?: readonly string[];
  readonly restart?: string;
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const stewardServices = Object.entries(compose.services).filter(([, service]) => service.profiles?.includes('steward'));

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification', () => {
    // The schema names draft-07 by an https URL that ajv does not know under that spelling.
    const { $schema: _draft, ...schema } = JSON.parse(readFileSync(require.resolve('docker-compose/schema/compose-spec.json'), 'utf8')) as Record<string, unknown>;
    const ajv = new Ajv({ allErrors: true, format: false });
    const valid = ajv.validate(schema, compose);
    expect(ajv.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('keeps the infrastructure profile-free, so `docker compose up` alone starts only it', () => {
    const infrastructure = Object.entries(compose.services)
      .filter(([, service]) => !service.profiles)
      .map(([name]) => name);
    expect(infrastructure.sort()).toEqual(['jaeger', 'kurrentdb', 'nats', 'otel-collector', 'postgres', 'redis']);
  });

  it('runs every Steward process, and migrate and bootstrap, from the one image in the steward profile', () => {
    const commands = Object.fromEntries(stewardServices.map(([name, service]) => [name, service.command?.[0]]));
    const expected = Object.fromEntries([...stewardProcesses().map((spec) => spec.name), 'migrate', 'bootstrap'].map((name) => [name, name]));
    expect(commands).toEqual(expected);
    const images = new Set(stewardServices.map(([, service]) => service.image));
    expect(images).toEqual(new Set(['${STEWARD_IMAGE:-steward:local}']));
    for (const [, service] of stewardServices) expect(service.build).toBe('.');
  });

  it('starts the processes after a successful migration, the bootstrap after a healthy gateway', () => {
    for (const [name, service] of stewardServices) {
      if (name === 'migrate') {
        expect(service.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, nats: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
        expect(service.restart).toBe('no');
      } else {
        expect({ name, migrate: service.depends_on?.migrate }).toEqual({ name, migrate: { condition: 'service_completed_successfully' } });
      }
    }
    expect(compose.services.bootstrap!.depends_on?.gateway).toEqual({ condition: 'service_healthy' });
    expect(compose.services.bootstrap!.restart).toBe('no');
  });

  it('points every process at the compose services, takes the master key from the environment, publishes only the gateway', () => {
    for (const [name, service] of stewardServices) {
      expect({ name, ...service.environment }).toMatchObject({
        name,
        DATABASE_URL: 'postgres://postgres@postgres:5432/steward',
        NATS_URL: 'nats://nats:4222',
        REDIS_URL: 'redis://redis:6379',
        STEWARD_MASTER_KEY: '${STEWARD_MASTER_KEY:-}',
      });
      expect({ name, ports: service.ports }).toEqual({ name, ports: name === 'gateway' ? ['127.0.0.1:8080:8080'] : undefined });
    }
  });
});
