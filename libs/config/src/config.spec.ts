import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('defaults to the standard local ports and the steward database', () => {
    expect(loadConfig({})).toEqual({
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/steward',
      natsUrl: 'nats://127.0.0.1:4222',
      redisUrl: 'redis://127.0.0.1:6379',
      eventStoreSchema: 'steward_events',
      natsPrefix: '',
      natsStreamReplicas: 1,
    });
  });

  it('reads the environment, treating empty variables as unset', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/x', EVENT_STORE_SCHEMA: '', NATS_STREAM_REPLICAS: '3' });
    expect(config.databaseUrl).toBe('postgres://u@db:5432/x');
    expect(config.eventStoreSchema).toBe('steward_events');
    expect(config.natsStreamReplicas).toBe(3);
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ EVENT_STORE_SCHEMA: 'Robert"; drop' })).toThrow(ConfigError);
    expect(() => loadConfig({ NATS_STREAM_REPLICAS: 'seven' })).toThrow(/NATS_STREAM_REPLICAS/);
  });
});
