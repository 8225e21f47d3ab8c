import { RUNTIME_PROVIDER_IDS, runtimeNameKey } from './runtime-fields';
import { RuntimeProviderSchemas, runtimeProviderCatalogue, validateRuntimeConfig } from './runtime-providers';
import { RuntimeRegistered, runtimeEventRegistry } from './runtime-events';
import { RegisterRuntimePayload } from './runtime-commands';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';

describe('runtime provider catalogue', () => {
  const catalogue = runtimeProviderCatalogue();

  it('lists the three categories with the providers of the Runtime Environments page', () => {
    const byCategory = Object.fromEntries(catalogue.categories.map((category) => [category.label, category.providers.map((provider) => provider.label)]));
    expect(byCategory).toEqual({
      'Data Ingestion': ['GCP / GKE', 'AWS / EKS', 'Azure / AKS', 'On-Premise Kubernetes'],
      'Spark / Processing': ['Databricks', 'Databricks Serverless', 'Dataproc', 'Dataproc Serverless', 'EMR Serverless', 'Synapse Serverless', 'Snowflake', 'Vertex AI'],
      'Python Execution': ['Docker', 'Kubernetes', 'Cloud Run', 'Lambda', 'Fargate'],
    });
    expect(catalogue.categories.flatMap((category) => category.providers)).toHaveLength(RUNTIME_PROVIDER_IDS.length);
    expect(catalogue.guides.map((guide) => guide.title)).toEqual(['Data Ingestion', 'Serverless Spark', 'Databricks', 'Snowflake', 'Google Cloud']);
  });

  it('publishes each config schema as JSON Schema, secret fields marked writeOnly', () => {
    const providers = catalogue.categories.flatMap((category) => category.providers);
    for (const provider of providers) {
      const schema = provider.configSchema as { type: string; properties: Record<string, { writeOnly?: boolean }>; additionalProperties: boolean };
      expect(schema.type).toBe('object');
      expect(schema.additionalProperties).toBe(false);
      for (const field of provider.secretFields) expect({ provider: provider.id, field, writeOnly: schema.properties[field]?.writeOnly }).toEqual({ provider: provider.id, field, writeOnly: true });
    }
    const gke = providers.find((provider) => provider.id === 'gke')!;
    expect((gke.configSchema as { required: string[] }).required).toEqual(expect.arrayContaining(['server', 'namespace', 'token', 'projectId']));
  });
});

describe('validateRuntimeConfig', () => {
  it('accepts a complete Kubernetes configuration', () => {
    const result = validateRuntimeConfig('onprem_k8s', { server: 'https://k8s.example.com:6443', namespace: 'steward', caCertificate: CA, token: 'eyJhbGciOi.token' });
    expect(result.ok).toBe(true);
  });

  it('names each bad field of each provider, unknown fields one by one', () => {
    const k8s = validateRuntimeConfig('eks', { server: 'http://plain', namespace: 'Bad_NS', token: 'x', extra: 1 });
    expect(k8s.ok).toBe(false);
    if (!k8s.ok) expect(k8s.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['clusterName', 'extra', 'namespace', 'region', 'server', 'token']);

    const aws = validateRuntimeConfig('lambda', { region: 'eu-west-1', accessKeyId: 'not-a-key', secretAccessKey: 'short' });
    if (aws.ok) throw new Error('accepted');
    expect(aws.issues.map((issue) => issue.path[0])).toEqual(['accessKeyId', 'secretAccessKey']);

    const gcp = validateRuntimeConfig('dataproc_serverless', { projectId: 'my-project-1', region: 'europe-west1', serviceAccountKey: '{"type":"user"}' });
    if (gcp.ok) throw new Error('accepted');
    expect(gcp.issues).toEqual([{ path: ['serviceAccountKey'], message: expect.stringContaining('service account key') }]);

    const docker = validateRuntimeConfig('docker', { host: 'ftp://x' });
    if (docker.ok) throw new Error('accepted');
    expect(docker.issues[0]?.path).toEqual(['host']);
    expect(validateRuntimeConfig('docker', {}).ok).toBe(true);
  });

  it('has a schema for every provider id', () => {
    expect(Object.keys(RuntimeProviderSchemas).sort()).toEqual([...RUNTIME_PROVIDER_IDS].sort());
  });
});

describe('runtime events and commands', () => {
  it('events carry secret references and hints, never a value field', () => {
    const data = {
      organizationId: 'org_1',
      workspaceId: 'ws_1',
      runtimeId: 'rt-1',
      name: 'Prod cluster',
      category: 'data_ingestion',
      provider: 'gke',
      config: { server: 'https://x', namespace: 'n' },
      secrets: { token: { ref: 'sec_1', hint: '••••abcd' } },
      registeredBy: 'usr_1',
      registeredAt: '2026-11-22T01:00:00.000Z',
    };
    expect(runtimeEventRegistry.validate(RuntimeRegistered.type, 1, data)).toEqual(data);
    expect(() => runtimeEventRegistry.validate(RuntimeRegistered.type, 1, { ...data, secrets: { token: { ref: 'sec_1', hint: '••••abcd', value: 'x' } } })).toThrow();
  });

  it('set-as-default defaults to false; names compare case- and space-insensitively', () => {
    const parsed = RegisterRuntimePayload.parse({ workspaceId: 'ws_1', runtimeId: 'rt-1', name: ' A ', provider: 'docker', config: {} });
    expect(parsed).toMatchObject({ name: 'A', setAsDefault: false });
    expect(runtimeNameKey('  Prod   Cluster ')).toBe(runtimeNameKey('prod cluster'));
  });
});
