/**
 * Runtime Environments end to end over HTTP, against the whole stack (npm
 * start's processes): the provider catalogue; a runtime created in each
 * category; validation errors per provider; names unique per category;
 * defaults set and switched (two concurrent set-default calls leave exactly
 * one); reconfigure; connection tests against local fake servers speaking the
 * providers' minimal endpoints over real HTTPS / a unix socket (success, 401,
 * timeout, TLS error, DNS failure, each with its message); delete (its secrets
 * go with it); and the secret scan: no secret's plaintext in the event store,
 * the processes' logs or any response body.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { type Stack, type TestEnv, createTestEnv, startStack, waitFor } from '@steward/testing';
import { generateMasterKey } from '@steward/secrets';
import { Fixtures, GatewayClient, type Answer, type CallOptions } from '../gateway/support/gateway-client';
import {
  type FakeServer,
  type TestCertificates,
  cloudEndpointHandler,
  databricksHandler,
  dockerSocketServer,
  hangingHandler,
  httpsServer,
  kubernetesHandler,
  makeCertificates,
  snowflakeHandler,
} from './support/fake-runtime-servers';

jest.setTimeout(180_000);

/** Records every answer, for the secret scan. */
class RecordingClient extends GatewayClient {
  readonly answers: string[] = [];

  override async call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const answer = await super.call(method, path, options);
    this.answers.push(`${method} ${path} ${answer.status} ${[...answer.headers.entries()].join(' ')} ${answer.text}`);
    return answer;
  }
}

interface RuntimeView {
  id: string;
  name: string;
  category: string;
  provider: string;
  isDefault: boolean;
  config: Record<string, unknown>;
  secrets: Record<string, { hint: string }>;
  lastTest: null | { testId: string; status: string; statusCode: number | null; failure: string | null; message: string | null; latencyMs: number | null };
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const K8S_TOKEN = `k8s-sa-token-${hex(12)}`;
const WRONG_TOKEN = `k8s-wrong-token-${hex(12)}`;
const DATABRICKS_TOKEN = `dapi${hex(16)}`;
/** OAuth M2M of a Databricks service principal; the access token the fake workspace hands out for it. */
const DATABRICKS_M2M = { clientId: '6a1b9d2e-0c4f-4e8a-9b7d-3f2a1c0e5d44', clientSecret: `dose${hex(16)}`, accessToken: `eyJ.${hex(16)}.sig` };
const SNOWFLAKE_PASSWORD = `Snow-Pass-${hex(10)}`;
const AWS_SECRET = randomBytes(30).toString('base64');
const AZURE_SECRET = `azure-client-secret-${hex(10)}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_KEY_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const GCP_KEY = JSON.stringify({
  type: 'service_account',
  project_id: 'steward-e2e-1',
  private_key_id: hex(20),
  private_key: PRIVATE_KEY_PEM,
  client_email: 'steward@steward-e2e-1.iam.gserviceaccount.com',
});
/** Each secret and a distinctive part of the service account key (its private key's body). */
const SECRETS = [K8S_TOKEN, WRONG_TOKEN, DATABRICKS_TOKEN, DATABRICKS_M2M.clientSecret, DATABRICKS_M2M.accessToken, SNOWFLAKE_PASSWORD, AWS_SECRET, AZURE_SECRET, PRIVATE_KEY_PEM.split('\n')[3]!];

describe('runtime environments over HTTP', () => {
  let env: TestEnv;
  let stack: Stack;
  let client: RecordingClient;
  let certificates: TestCertificates;
  const servers: FakeServer[] = [];
  let kubernetes: FakeServer;
  let databricks: FakeServer;
  let snowflake: FakeServer;
  let cloud: FakeServer;
  let hanging: FakeServer;
  let docker: FakeServer & { socketPath: string };
  let owner: string;
  let ws: string;
  let member: string;

  beforeAll(async () => {
    certificates = makeCertificates();
    kubernetes = await httpsServer(certificates, kubernetesHandler(K8S_TOKEN));
    databricks = await httpsServer(certificates, databricksHandler(DATABRICKS_TOKEN, 'cluster-0815', DATABRICKS_M2M));
    snowflake = await httpsServer(certificates, snowflakeHandler('STEWARD', SNOWFLAKE_PASSWORD));
    cloud = await httpsServer(certificates, cloudEndpointHandler);
    hanging = await httpsServer(certificates, hangingHandler);
    docker = await dockerSocketServer();
    servers.push(kubernetes, databricks, snowflake, cloud, hanging, docker);
    env = await createTestEnv();
    stack = await startStack(env, {
      logLevel: 'info',
      env: { STEWARD_MASTER_KEY: generateMasterKey(), RUNTIME_TEST_TIMEOUT_MS: '1500', RUNTIME_TEST_ATTEMPTS: '2', RUNTIME_TEST_RETRY_DELAY_MS: '100' },
    });
    client = new RecordingClient(stack.url);
    owner = stack.ownerToken;
    ws = stack.workspaceId;
    member = (await new Fixtures(client).newMember(owner, ws, 'member', 'runtime-member')).token;
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await env?.dispose();
    for (const server of servers) await server.close();
    if (certificates) rmSync(certificates.dir, { recursive: true, force: true });
  });

  const base = () => `/v1/workspaces/${ws}/runtimes`;
  const create = (body: Record<string, unknown>, token = owner) => client.call('POST', base(), { token, body });
  async function created(body: Record<string, unknown>): Promise<RuntimeView> {
    const answer = await create(body);
    if (answer.status !== 201) throw new Error(`create ${String(body.name)}: ${answer.status} ${answer.text}`);
    const view = answer.body as RuntimeView;
    await waitFor(`runtime ${view.id} in the read model`, async () => ((await client.call('GET', `${base()}/${view.id}`, { token: owner })).status === 200 ? true : undefined));
    return view;
  }
  const get = async (id: string) => client.expect<RuntimeView>(200, 'GET', `${base()}/${id}`, { token: owner });
  const k8s = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    provider: 'onprem_k8s',
    config: { server: kubernetes.url, namespace: 'steward-jobs', caCertificate: certificates.ca, token: K8S_TOKEN, ...extra },
  });
  async function testOutcome(id: string): Promise<NonNullable<RuntimeView['lastTest']>> {
    const accepted = await client.expect<{ testId: string; status: string }>(202, 'POST', `${base()}/${id}/test`, { token: owner, body: {} });
    expect(accepted.status).toBe('pending');
    return waitFor(
      `test ${accepted.testId} of ${id}`,
      async () => {
        const view = await get(id);
        return view.lastTest?.testId === accepted.testId && view.lastTest.status !== 'pending' ? view.lastTest : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  }

  let ingestion: RuntimeView;
  let spark: RuntimeView;
  let python: RuntimeView;

  it('the provider catalogue: three categories, 17 providers, JSON Schemas and guides', async () => {
    const catalogue = await client.expect<{ categories: Array<{ id: string; providers: Array<{ id: string; configSchema: { properties: Record<string, { writeOnly?: boolean }> }; secretFields: string[] }> }>; guides: unknown[] }>(
      200,
      'GET',
      '/v1/runtime-providers',
      { token: member },
    );
    expect(catalogue.categories.map((category) => category.providers.length)).toEqual([4, 8, 5]);
    const snowflakeProvider = catalogue.categories[1]!.providers.find((provider) => provider.id === 'snowflake')!;
    expect(snowflakeProvider.secretFields).toEqual(['password']);
    expect(snowflakeProvider.configSchema.properties.password?.writeOnly).toBe(true);
    expect(catalogue.guides).toHaveLength(5);
  });

  it('creates a runtime in each category; secrets come back masked; counts per tab; the ingestion default set at creation', async () => {
    const emptyDefaults = await client.expect<Record<string, unknown>>(200, 'GET', `${base()}/defaults`, { token: member });
    expect(emptyDefaults).toEqual({ data_ingestion: null, spark_processing: null, python_execution: null });

    ingestion = await created({ ...k8s('Ingestion cluster'), setAsDefault: true });
    expect(ingestion.secrets).toEqual({ token: { hint: `••••${K8S_TOKEN.slice(-4)}` } });
    expect(ingestion.config).not.toHaveProperty('token');
    spark = await created({ name: 'Lakehouse', provider: 'databricks', config: { host: databricks.url, clusterId: 'cluster-0815', caCertificate: certificates.ca, token: DATABRICKS_TOKEN } });
    python = await created({ name: 'Local Docker', provider: 'docker', config: { host: `unix://${docker.socketPath}` } });

    const all = await client.expect<{ items: RuntimeView[]; total: number; counts: Record<string, number> }>(200, 'GET', base(), { token: member });
    expect(all.counts).toEqual({ all: 3, data_ingestion: 1, spark_processing: 1, python_execution: 1 });
    expect(all.total).toBe(3);
    const tab = await client.expect<{ items: RuntimeView[]; total: number }>(200, 'GET', `${base()}?category=spark_processing`, { token: member });
    expect(tab.items.map((item) => item.name)).toEqual(['Lakehouse']);
    expect(tab.items[0]!.secrets).toEqual({ token: { hint: `••••${DATABRICKS_TOKEN.slice(-4)}` } });
    const defaults = await client.expect<Record<string, RuntimeView | null>>(200, 'GET', `${base()}/defaults`, { token: member });
    expect(defaults.data_ingestion?.id).toBe(ingestion.id);
    expect(defaults.spark_processing).toBeNull();
  });

  it('refuses a bad configuration of each provider with a 400 naming the field, and a taken name with a 409', async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['gke', { server: kubernetes.url, namespace: 'ok', token: K8S_TOKEN }, 'body.config.projectId'],
      ['eks', { region: 'Europe', clusterName: 'c', server: kubernetes.url, namespace: 'ok', token: K8S_TOKEN }, 'body.config.region'],
      ['aks', { resourceGroup: 'rg', clusterName: 'c', server: 'http://plain.example.com', namespace: 'ok', token: K8S_TOKEN }, 'body.config.server'],
      ['onprem_k8s', { server: kubernetes.url, namespace: 'Not_A_Namespace', token: K8S_TOKEN }, 'body.config.namespace'],
      ['databricks', { host: databricks.url, clusterId: 'c', token: 'short' }, 'body.config.token'],
      ['databricks_serverless', { host: databricks.url }, 'body.config.token'],
      ['dataproc', { projectId: 'steward-e2e-1', region: 'europe-west1', clusterName: 'c', serviceAccountKey: '{"type":"user"}' }, 'body.config.serviceAccountKey'],
      ['dataproc_serverless', { projectId: 'X', region: 'europe-west1', serviceAccountKey: GCP_KEY }, 'body.config.projectId'],
      ['emr_serverless', { region: 'eu-west-1', applicationId: 'a', executionRoleArn: 'role', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: AWS_SECRET }, 'body.config.executionRoleArn'],
      ['synapse_serverless', { tenantId: 'not-a-uuid', clientId: '0b0c8a5e-8d1e-4c52-9a34-1f1f3e3c1a10', workspaceName: 'syn', clientSecret: AZURE_SECRET }, 'body.config.tenantId'],
      ['snowflake', { account: 'xy12345.eu-west-1', user: 'STEWARD', password: SNOWFLAKE_PASSWORD }, 'body.config.warehouse'],
      ['vertex_ai', { projectId: 'steward-e2e-1', region: 'europe-west1', serviceAccountKey: GCP_KEY, extra: 1 }, 'body.config.extra'],
      ['kubernetes', { server: kubernetes.url, namespace: 'ok' }, 'body.config.token'],
      ['cloud_run', { projectId: 'steward-e2e-1', serviceAccountKey: GCP_KEY }, 'body.config.region'],
      ['lambda', { region: 'eu-west-1', accessKeyId: 'not-a-key-id', secretAccessKey: AWS_SECRET }, 'body.config.accessKeyId'],
      ['fargate', { region: 'eu-west-1', cluster: 'c', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'too-short' }, 'body.config.secretAccessKey'],
      ['docker', { host: 'ftp://docker.example.com' }, 'body.config.host'],
    ];
    const failures: string[] = [];
    for (const [provider, config, field] of cases) {
      const answer = await create({ name: `Bad ${provider}`, provider, config });
      const fields = ((answer.body as { errors?: Array<{ field: string }> } | undefined)?.errors ?? []).map((error) => error.field);
      if (answer.status !== 400 || !fields.includes(field)) failures.push(`${provider}: ${answer.status} ${answer.text.slice(0, 300)}`);
    }
    expect(failures).toEqual([]);
    expect((await create({ ...k8s('  ingestion   CLUSTER ') })).status).toBe(409);
    expect((await create(k8s('Forbidden for members'), member)).status).toBe(403);
  });

  it('sets and switches the default; two concurrent set-default calls leave exactly one', async () => {
    const second = await created(k8s('Second cluster'));
    const third = await created(k8s('Third cluster'));
    await client.expect(200, 'POST', `${base()}/${second.id}/default`, { token: owner, body: {} });
    await waitFor('the second cluster to be the default', async () => ((await get(second.id)).isDefault ? true : undefined));
    expect((await get(ingestion.id)).isDefault).toBe(false);

    const [a, b] = await Promise.all([
      client.call('POST', `${base()}/${ingestion.id}/default`, { token: owner, body: {} }),
      client.call('POST', `${base()}/${third.id}/default`, { token: owner, body: {} }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const { rows } = await env.pool.query<{ data: { runtimeId: string } }>(
      `SELECT data FROM steward_events.events WHERE stream_id = $1 AND event_type = 'RuntimeDefaultSet' ORDER BY stream_revision DESC LIMIT 1`,
      [`runtime-workspace-${ws}`],
    );
    const winner = rows[0]!.data.runtimeId;
    expect([ingestion.id, third.id]).toContain(winner);
    const defaults = await waitFor('the read model to show the winner', async () => {
      const list = await client.expect<{ items: RuntimeView[] }>(200, 'GET', `${base()}?category=data_ingestion`, { token: owner });
      const marked = list.items.filter((item) => item.isDefault);
      return marked.length === 1 && marked[0]!.id === winner ? marked : undefined;
    });
    expect(defaults).toHaveLength(1);
    expect((await client.expect<Record<string, RuntimeView>>(200, "GET", `${base()}/defaults`, { token: member })).data_ingestion?.id).toBe(winner);
  });

  it('reconfigures: renames, changes a field and replaces a secret; bad fields are named', async () => {
    const bad = await client.call('PATCH', `${base()}/${ingestion.id}`, { token: owner, body: { config: { server: 'not a url', unknownField: 1 } } });
    expect(bad.status).toBe(400);
    expect((bad.body as { errors: Array<{ field: string }> }).errors.map((error) => error.field).sort()).toEqual(['body.config.server', 'body.config.unknownField']);
    // a change of one field: runtime-registry merges it with the stored configuration, the token left out is kept
    const kept = await client.expect<RuntimeView>(200, 'PATCH', `${base()}/${ingestion.id}`, { token: owner, body: { config: { namespace: 'ingest-kept' } } });
    expect(kept.config).toMatchObject({ namespace: 'ingest-kept', server: kubernetes.url });
    expect(kept.secrets.token?.hint).toBe(`••••${K8S_TOKEN.slice(-4)}`);
    const patched = await client.expect<RuntimeView>(200, 'PATCH', `${base()}/${ingestion.id}`, {
      token: owner,
      body: { name: 'Ingestion cluster (EU)', config: { namespace: 'ingest-eu', token: WRONG_TOKEN } },
    });
    expect(patched.secrets.token?.hint).toBe(`••••${WRONG_TOKEN.slice(-4)}`);
    const view = await waitFor('the renamed runtime', async () => {
      const current = await get(ingestion.id);
      return current.name === 'Ingestion cluster (EU)' ? current : undefined;
    });
    expect(view.config).toMatchObject({ namespace: 'ingest-eu', server: kubernetes.url });
    expect(view.secrets.token?.hint).toBe(`••••${WRONG_TOKEN.slice(-4)}`);
  });

  it('connection tests: success, 401, timeout, TLS error and DNS failure, each with its message', async () => {
    const ok = await created(k8s('Reachable cluster'));
    expect(await testOutcome(ok.id)).toMatchObject({ status: 'succeeded', statusCode: 200, failure: null, message: expect.stringContaining('v1.30.2') });
    expect(kubernetes.requests.some((request) => request.path === '/version' && request.authorization === `Bearer ${K8S_TOKEN}`)).toBe(true);

    // the reconfigured ingestion runtime now holds the wrong token
    expect(await testOutcome(ingestion.id)).toMatchObject({ status: 'failed', statusCode: 401, failure: 'unauthorized', message: expect.stringContaining('HTTP 401') });

    const silent = await created({ name: 'Silent cluster', provider: 'onprem_k8s', config: { server: hanging.url, namespace: 'ns', caCertificate: certificates.ca, token: K8S_TOKEN } });
    expect(await testOutcome(silent.id)).toMatchObject({ status: 'failed', statusCode: null, failure: 'timeout', message: expect.stringMatching(/no answer from https:\/\/127\.0\.0\.1:\d+ within 1\.5 s/) });
    expect(hanging.requests.length).toBe(2); // bounded retries: two attempts

    const untrusted = await created({ name: 'Untrusted cluster', provider: 'onprem_k8s', config: { server: kubernetes.url, namespace: 'ns', token: K8S_TOKEN } });
    expect(await testOutcome(untrusted.id)).toMatchObject({ status: 'failed', failure: 'tls', message: expect.stringContaining('TLS handshake') });

    const nowhere = await created({ name: 'Nowhere cluster', provider: 'onprem_k8s', config: { server: 'https://k8s.steward-e2e.invalid', namespace: 'ns', token: K8S_TOKEN } });
    expect(await testOutcome(nowhere.id)).toMatchObject({ status: 'failed', failure: 'dns', message: expect.stringContaining('does not resolve') });
  });

  it('connection tests of the other families: Docker over a unix socket, Databricks, Snowflake, a serverless provider', async () => {
    expect(await testOutcome(python.id)).toMatchObject({ status: 'succeeded', statusCode: 200, message: expect.stringContaining('API 1.45') });
    expect(await testOutcome(spark.id)).toMatchObject({ status: 'succeeded', message: expect.stringContaining('cluster cluster-0815 is RUNNING') });

    // Databricks with OAuth M2M: the client secret is a masked secret, the client id plain config
    const m2m = await created({
      name: 'Lakehouse M2M',
      provider: 'databricks_serverless',
      config: { host: databricks.url, caCertificate: certificates.ca, clientId: DATABRICKS_M2M.clientId, clientSecret: DATABRICKS_M2M.clientSecret },
    });
    expect(m2m.secrets).toEqual({ clientSecret: { hint: `••••${DATABRICKS_M2M.clientSecret.slice(-4)}` } });
    expect(m2m.config).toMatchObject({ clientId: DATABRICKS_M2M.clientId });
    expect(m2m.config).not.toHaveProperty('clientSecret');
    expect(await testOutcome(m2m.id)).toMatchObject({ status: 'succeeded', message: expect.stringContaining('signed in to the Databricks workspace') });
    expect(databricks.requests.some((request) => request.path === '/oidc/v1/token')).toBe(true);
    // switching to a token drops the client id and secret
    const switched = await client.expect<RuntimeView>(200, 'PATCH', `${base()}/${m2m.id}`, { token: owner, body: { config: { token: DATABRICKS_TOKEN } } });
    expect(switched.secrets).toEqual({ token: { hint: `••••${DATABRICKS_TOKEN.slice(-4)}` } });
    expect(switched.config).not.toHaveProperty('clientId');
    await waitFor('the reconfigured runtime in the read model', async () => {
      const view = await client.expect<RuntimeView>(200, 'GET', `${base()}/${m2m.id}`, { token: owner });
      return Object.keys(view.secrets).join() === 'token' && !('clientId' in view.config) ? true : undefined;
    });
    expect(await testOutcome(m2m.id)).toMatchObject({ status: 'succeeded' });
    // both forms at once, or half of M2M: a 400 naming the field
    const both = await client.call('POST', base(), { token: owner, body: { name: 'Both', provider: 'databricks_serverless', config: { host: databricks.url, token: DATABRICKS_TOKEN, clientId: 'x-client', clientSecret: DATABRICKS_M2M.clientSecret } } });
    expect(both.status).toBe(400);
    expect(JSON.stringify(both.body)).toContain('body.config.token');

    const snow = { account: 'xy12345.eu-west-1', user: 'STEWARD', warehouse: 'COMPUTE_WH', endpointUrl: snowflake.url, caCertificate: certificates.ca };
    const goodSnow = await created({ name: 'Snowflake', provider: 'snowflake', config: { ...snow, password: SNOWFLAKE_PASSWORD } });
    expect(await testOutcome(goodSnow.id)).toMatchObject({ status: 'succeeded', message: expect.stringContaining('signed in to Snowflake') });
    const badSnow = await created({ name: 'Snowflake wrong password', provider: 'snowflake', config: { ...snow, password: `${SNOWFLAKE_PASSWORD}-old` } });
    expect(await testOutcome(badSnow.id)).toMatchObject({ status: 'failed', failure: 'invalid_credentials', message: expect.stringContaining('Incorrect username or password') });

    const serverless = await created({
      name: 'Dataproc Serverless',
      provider: 'dataproc_serverless',
      config: { projectId: 'steward-e2e-1', region: 'europe-west1', endpointUrl: cloud.url, caCertificate: certificates.ca, serviceAccountKey: GCP_KEY },
    });
    expect(await testOutcome(serverless.id)).toMatchObject({ status: 'succeeded', statusCode: 404, message: expect.stringContaining('reachable') });
    const lambda = await created({ name: 'Lambda', provider: 'lambda', config: { region: 'eu-west-1', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', endpointUrl: cloud.url, caCertificate: certificates.ca, secretAccessKey: AWS_SECRET } });
    expect(await testOutcome(lambda.id)).toMatchObject({ status: 'succeeded' });
  });

  it('a member may re-run a test but not change a runtime', async () => {
    expect((await client.call('POST', `${base()}/${python.id}/test`, { token: member, body: {} })).status).toBe(202);
    expect((await client.call('POST', `${base()}/${python.id}/default`, { token: member, body: {} })).status).toBe(403);
    expect((await client.call('DELETE', `${base()}/${python.id}`, { token: member })).status).toBe(403);
  });

  it('deletes a runtime with its secrets; a deleted default leaves its category without one', async () => {
    const owner_ = `runtime:${ws}:${spark.id}`;
    const before = await env.pool.query('SELECT count(*)::int AS n FROM steward_secrets.secrets WHERE owner = $1', [owner_]);
    expect(before.rows[0].n).toBe(1);
    await client.expect(200, 'POST', `${base()}/${spark.id}/default`, { token: owner, body: {} });
    await client.expect(204, 'DELETE', `${base()}/${spark.id}`, { token: owner });
    await waitFor('the runtime to be gone', async () => ((await client.call('GET', `${base()}/${spark.id}`, { token: owner })).status === 404 ? true : undefined));
    const after = await env.pool.query('SELECT count(*)::int AS n FROM steward_secrets.secrets WHERE owner = $1', [owner_]);
    expect(after.rows[0].n).toBe(0);
    expect((await client.expect<Record<string, unknown>>(200, 'GET', `${base()}/defaults`, { token: owner })).spark_processing).toBeNull();
    expect((await client.call('DELETE', `${base()}/${spark.id}`, { token: owner })).status).toBe(404);
  });

  it('secret scan: no secret in the event store, the logs or any response', async () => {
    const { rows } = await env.pool.query<{ row: string }>('SELECT (e.*)::text AS row FROM steward_events.events e');
    expect(rows.length).toBeGreaterThan(20);
    const stored = await env.pool.query<{ row: string }>('SELECT (s.*)::text AS row FROM steward_secrets.secrets s');
    expect(stored.rows.length).toBeGreaterThan(3);
    const logs = ['relay', 'projections', 'team-rbac', 'runtime-registry', 'gateway'].map((name) => stack.output(name)).join('\n');
    expect(stack.output('runtime-registry')).toContain('connection test done');
    const places = { events: rows.map((row) => row.row).join('\n'), secretsTable: stored.rows.map((row) => row.row).join('\n'), logs, responses: client.answers.join('\n') };
    const leaks = Object.entries(places).flatMap(([place, text]) => SECRETS.filter((secret) => text.includes(secret)).map((secret) => `${place}: ${secret.slice(0, 6)}…`));
    expect(leaks).toEqual([]);
    expect(client.answers.length).toBeGreaterThan(40);
  });
});
