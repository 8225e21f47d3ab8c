import { z } from 'zod';

/**
 * Where Steward's infrastructure is, from the environment, with one set of
 * defaults for every process (the standard local ports, database `steward`).
 */
const ConfigSchema = z.object({
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/steward'),
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  EVENT_STORE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,39}$/)
    .default('steward_events'),
  NATS_PREFIX: z.string().default(''),
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
});

export interface StewardConfig {
  readonly databaseUrl: string;
  readonly natsUrl: string;
  readonly redisUrl: string;
  readonly eventStoreSchema: string;
  readonly natsPrefix: string;
  readonly natsStreamReplicas: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): StewardConfig {
  // An empty variable means "not set", as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const c = parsed.data;
  return {
    databaseUrl: c.DATABASE_URL,
    natsUrl: c.NATS_URL,
    redisUrl: c.REDIS_URL,
    eventStoreSchema: c.EVENT_STORE_SCHEMA,
    natsPrefix: c.NATS_PREFIX,
    natsStreamReplicas: c.NATS_STREAM_REPLICAS,
  };
}
