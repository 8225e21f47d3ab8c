import { RuntimeError, RuntimeErrorCode } from './runtime.error';
import { configChange, mergedConfig } from './runtime-config';
import type { RuntimeEntry } from './runtime-catalogue.decider';

const ref = (field: string, hint = '••••cret') => ({ ref: `runtime/ws-1/rt-1/${field}/cmd-0`, hint });

const cluster: RuntimeEntry = {
  runtimeId: 'rt-1',
  name: 'Ingestion cluster',
  category: 'data_ingestion',
  provider: 'onprem_k8s',
  config: { server: 'https://k8s.example.com:6443', namespace: 'ingest' },
  secrets: { token: ref('token') },
};
const STORED_TOKEN = 'stored-service-account-token';

const lakehouse: RuntimeEntry = {
  runtimeId: 'rt-2',
  name: 'Lakehouse',
  category: 'spark_processing',
  provider: 'databricks_serverless',
  config: { host: 'https://dbc-a1b2c3d4-e5f6.cloud.databricks.com', clientId: '6a1b9d2e-client' },
  secrets: { clientSecret: ref('clientSecret') },
};

/** What the runner does: the change, the kept secrets' stored values read, the merge. */
function merge(runtime: RuntimeEntry, changes: Record<string, unknown>, stored: Record<string, string>) {
  const change = configChange(runtime, changes);
  const kept = Object.fromEntries(Object.keys(change.keptSecrets).flatMap((field) => (stored[field] !== undefined ? [[field, stored[field]]] : [])));
  return { change, ...mergedConfig(runtime, change, kept) };
}

function refusal(run: () => unknown): RuntimeError {
  try {
    run();
  } catch (error) {
    if (error instanceof RuntimeError) return error;
    throw error;
  }
  throw new Error('expected a RuntimeError');
}

describe('a runtime configuration change merged with what is stored', () => {
  it('changes a plain field; the secret left out keeps its stored value and reference', () => {
    const { change, config, newSecretValues } = merge(cluster, { namespace: 'ingest-eu' }, { token: STORED_TOKEN });
    expect(config).toEqual({ server: 'https://k8s.example.com:6443', namespace: 'ingest-eu' });
    expect(newSecretValues).toEqual({});
    expect(change.keptSecrets).toEqual({ token: cluster.secrets.token });
    expect(change.replacedSecrets).toEqual([]);
  });

  it('replaces a secret given anew: its value is new, the stored one is replaced', () => {
    const { change, config, newSecretValues } = merge(cluster, { token: 'a-new-service-account-token' }, { token: STORED_TOKEN });
    expect(config).toEqual(cluster.config);
    expect(newSecretValues).toEqual({ token: 'a-new-service-account-token' });
    expect(change.replacedSecrets).toEqual(['token']);
    expect(change.keptSecrets).toEqual({});
  });

  it('drops the fields of the other credential form (OAuth M2M → a token)', () => {
    const { change, config, newSecretValues } = merge(lakehouse, { token: 'dapi-0123456789abcdef' }, { clientSecret: 'stored-client-secret' });
    expect(change.superseded).toEqual(['clientId', 'clientSecret']);
    expect(change.replacedSecrets).toEqual(['token', 'clientSecret']);
    expect(config).toEqual({ host: lakehouse.config.host });
    expect(newSecretValues).toEqual({ token: 'dapi-0123456789abcdef' });
  });

  it('checks the merged whole: half of a credential form is refused, naming the missing field', () => {
    const withToken: RuntimeEntry = { ...lakehouse, config: { host: lakehouse.config.host! }, secrets: { token: ref('token') } };
    const error = refusal(() => merge(withToken, { clientId: 'another-client' }, { token: 'dapi-stored-token-0123' }));
    expect(error.code).toBe(RuntimeErrorCode.InvalidConfig);
    expect(error.errors).toEqual([{ field: 'config.clientSecret', message: 'OAuth M2M needs clientId and clientSecret' }]);
  });

  it('names every bad field of the change, never a value', () => {
    const error = refusal(() => merge(cluster, { server: 'not a url', unknownField: 1 }, { token: STORED_TOKEN }));
    expect(error.code).toBe(RuntimeErrorCode.InvalidConfig);
    expect(error.errors?.map((issue) => issue.field).sort()).toEqual(['config.server', 'config.unknownField']);
    expect(error.toBody()).toMatchObject({ code: RuntimeErrorCode.InvalidConfig, errors: error.errors });
    expect(JSON.stringify(error.toBody())).not.toContain(STORED_TOKEN);
  });

  it('refuses a configuration whose kept secret value is gone from the store', () => {
    const error = refusal(() => merge(cluster, { namespace: 'ingest-eu' }, {}));
    expect(error.errors?.map((issue) => issue.field)).toEqual(['config.token']);
  });
});
