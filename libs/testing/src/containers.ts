/**
 * Throwaway PostgreSQL, NATS (JetStream) and Redis in Docker, for a machine
 * that has Docker but not the services themselves. Used by the global test
 * setup when `TESTCONTAINERS=1`; without Docker the local services are used.
 */
export interface RunningContainers {
  /** DATABASE_URL, NATS_URL and REDIS_URL pointing at the containers. */
  readonly env: Record<'DATABASE_URL' | 'NATS_URL' | 'REDIS_URL', string>;
  stop(): Promise<void>;
}

export async function startContainers(): Promise<RunningContainers> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const [postgres, nats, redis] = await Promise.all([
    new GenericContainer('postgres:17-alpine')
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start(),
    new GenericContainer('nats:2.11-alpine')
      .withCommand(['-js'])
      .withExposedPorts(4222)
      .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
      .start(),
    new GenericContainer('redis:7-alpine')
      .withExposedPorts(6379)
      .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
      .start(),
  ]);
  return {
    env: {
      DATABASE_URL: `postgres://postgres@${postgres.getHost()}:${postgres.getMappedPort(5432)}/postgres`,
      NATS_URL: `nats://${nats.getHost()}:${nats.getMappedPort(4222)}`,
      REDIS_URL: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
    },
    async stop() {
      await Promise.all([postgres.stop(), nats.stop(), redis.stop()]);
    },
  };
}

/** True when a Docker engine answers (the client alone is not enough). */
export async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}
