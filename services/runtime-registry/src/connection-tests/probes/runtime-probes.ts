import { createPrivateKey } from 'node:crypto';
import { DEFAULT_DOCKER_HOST, runtimeProvider, type RuntimeConfig, type RuntimeProviderId, type RuntimeTestFailure } from '@steward/contracts';
import { ProbeCallError, probeHttp, type ProbeRequest, type ProbeResponse } from './probe-http';

/** What a connection test found. `message` never contains a secret (see redact). */
export interface ProbeOutcome {
  readonly ok: boolean;
  readonly failure?: RuntimeTestFailure;
  /** What was called, e.g. `GET https://k8s.example.com/version`. */
  readonly probe: string;
  readonly statusCode: number | null;
  readonly latencyMs: number;
  readonly attempts: number;
  readonly message: string;
}

export interface ProbeSettings {
  /** Per attempt. Default 10 s. */
  readonly timeoutMs: number;
  /** Attempts for transient failures (timeout, connection refused, HTTP 5xx, DNS EAI_AGAIN). Default 2. */
  readonly attempts: number;
  /** Pause before the n-th retry: n × this. Default 1 s. */
  readonly retryDelayMs: number;
}

export const DEFAULT_PROBE_SETTINGS: ProbeSettings = { timeoutMs: 10_000, attempts: 2, retryDelayMs: 1_000 };

export interface ProbeTarget {
  readonly provider: RuntimeProviderId;
  readonly config: RuntimeConfig;
  /** Secret field → plaintext (from the secret store, for this test only). */
  readonly secrets: Readonly<Record<string, string>>;
}

type Step = { ok: true; message: string; response: ProbeResponse } | { ok: false; failure: RuntimeTestFailure; message: string; response: ProbeResponse };

/** One probe of a family: the request to make and how to read its answer. */
interface ProbePlan {
  readonly request: Omit<ProbeRequest, 'timeoutMs'>;
  readonly label: string;
  judge(response: ProbeResponse): Step;
  /** A second call after a successful first one (Databricks: the cluster). */
  readonly then?: ProbePlan;
}

/** Runs the provider's probe with retries and returns its outcome, secrets redacted. */
export async function runProbe(target: ProbeTarget, settings: ProbeSettings = DEFAULT_PROBE_SETTINGS): Promise<ProbeOutcome> {
  const secretValues = Object.values(target.secrets).filter((value) => value.length >= 4);
  const redact = (text: string) => secretValues.reduce((out, value) => out.split(value).join('••••'), text);
  const outcome = await probeOf(target, settings);
  return { ...outcome, message: redact(outcome.message).slice(0, 1000), probe: redact(outcome.probe).slice(0, 500) };
}

async function probeOf(target: ProbeTarget, settings: ProbeSettings): Promise<ProbeOutcome> {
  const { family } = runtimeProvider(target.provider);
  const config = target.config;
  const str = (field: string) => (config[field] === undefined ? undefined : String(config[field]));
  const ca = str('caCertificate');
  switch (family) {
    case 'kubernetes': {
      const token = target.secrets.token;
      if (!token) return missingSecret('token');
      return runPlan(kubernetesPlan(str('server')!, token, ca), settings);
    }
    case 'databricks': {
      const token = target.secrets.token;
      const clientId = str('clientId');
      const clientSecret = target.secrets.clientSecret;
      if (token) return runPlan(databricksPlan(str('host')!, token, ca, str('clusterId')), settings);
      if (clientId === undefined) return missingSecret('token');
      if (!clientSecret) return missingSecret('clientSecret');
      return databricksM2m(str('host')!, clientId, clientSecret, ca, str('clusterId'), settings);
    }
    case 'snowflake': {
      const password = target.secrets.password;
      if (!password) return missingSecret('password');
      return runPlan(snowflakePlan(config, password, ca), settings);
    }
    case 'docker':
      return runPlan(dockerPlan(str('host') ?? DEFAULT_DOCKER_HOST, ca), settings);
    case 'cloud_api': {
      const problem = credentialProblem(target);
      if (problem) return { ok: false, failure: 'invalid_credentials', probe: 'credential format check', statusCode: null, latencyMs: 0, attempts: 1, message: problem };
      return runPlan(reachabilityPlan(regionalEndpoint(target.provider, config), ca), settings);
    }
  }
}

function missingSecret(field: string): ProbeOutcome {
  return { ok: false, failure: 'invalid_credentials', probe: 'credential check', statusCode: null, latencyMs: 0, attempts: 1, message: `the runtime has no stored ${field}` };
}

const TRANSIENT: ReadonlySet<RuntimeTestFailure> = new Set(['timeout', 'unreachable']);

async function runPlan(plan: ProbePlan, settings: ProbeSettings, attemptsBefore = 0, latencyBefore = 0): Promise<ProbeOutcome> {
  let last: ProbeOutcome | undefined;
  for (let attempt = 1; attempt <= settings.attempts; attempt++) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, settings.retryDelayMs * (attempt - 1)));
    const attempts = attemptsBefore + attempt;
    try {
      const response = await probeHttp({ ...plan.request, timeoutMs: settings.timeoutMs });
      const step = plan.judge(response);
      const latencyMs = latencyBefore + response.latencyMs;
      if (step.ok && plan.then) return runPlan(plan.then, settings, attempts, latencyMs);
      last = step.ok
        ? { ok: true, probe: plan.label, statusCode: response.statusCode, latencyMs, attempts, message: step.message }
        : { ok: false, failure: step.failure, probe: plan.label, statusCode: response.statusCode, latencyMs, attempts, message: step.message };
      if (step.ok || response.statusCode < 500) return last;
    } catch (error) {
      if (!(error instanceof ProbeCallError)) throw error;
      last = { ok: false, failure: error.failure, probe: plan.label, statusCode: null, latencyMs: latencyBefore + error.latencyMs, attempts, message: error.message };
      if (!TRANSIENT.has(error.failure) && !/EAI_AGAIN/.test(error.message)) return last;
    }
  }
  return last!;
}

function byStatus(response: ProbeResponse, what: string, success: () => string): Step {
  const { statusCode } = response;
  if (statusCode >= 200 && statusCode < 300) return { ok: true, message: success(), response };
  if (statusCode === 401) return { ok: false, failure: 'unauthorized', message: `${what} refused the credentials (HTTP 401 Unauthorized)`, response };
  if (statusCode === 403) return { ok: false, failure: 'forbidden', message: `${what} accepted the credentials but denies access (HTTP 403 Forbidden)`, response };
  if (statusCode === 404) return { ok: false, failure: 'not_found', message: `${what} answered HTTP 404 Not Found: check the URL`, response };
  return { ok: false, failure: 'http_error', message: `${what} answered HTTP ${statusCode}`, response };
}

function json(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

function kubernetesPlan(server: string, token: string, ca: string | undefined): ProbePlan {
  const url = joinUrl(server, '/version');
  return {
    label: `GET ${url}`,
    request: { method: 'GET', url, headers: { authorization: `Bearer ${token}` }, ...(ca ? { ca } : {}) },
    judge: (response) =>
      byStatus(response, 'the Kubernetes API server', () => {
        const version = json(response.body)?.gitVersion;
        return `Kubernetes API server answered${typeof version === 'string' ? ` (${version.slice(0, 40)})` : ''} in ${response.latencyMs} ms`;
      }),
  };
}

function databricksPlan(host: string, token: string, ca: string | undefined, clusterId: string | undefined): ProbePlan {
  const headers = { authorization: `Bearer ${token}` };
  const me = joinUrl(host, '/api/2.0/preview/scim/v2/Me');
  const clusterUrl = clusterId && `${joinUrl(host, '/api/2.0/clusters/get')}?cluster_id=${encodeURIComponent(clusterId)}`;
  const cluster: ProbePlan | undefined = clusterUrl
    ? {
        label: `GET ${clusterUrl}`,
        request: { method: 'GET', url: clusterUrl, headers, ...(ca ? { ca } : {}) },
        judge: (response) => {
          if (response.statusCode === 400 || response.statusCode === 404) {
            return { ok: false, failure: 'not_found', message: `the Databricks workspace has no cluster ${clusterId} (HTTP ${response.statusCode})`, response };
          }
          return byStatus(response, 'the Databricks workspace', () => {
            const state = json(response.body)?.state;
            return `signed in to the Databricks workspace; cluster ${clusterId}${typeof state === 'string' ? ` is ${state.slice(0, 30)}` : ' found'}`;
          });
        },
      }
    : undefined;
  return {
    label: `GET ${me}`,
    request: { method: 'GET', url: me, headers, ...(ca ? { ca } : {}) },
    judge: (response) =>
      byStatus(response, 'the Databricks workspace', () => {
        const user = json(response.body)?.userName;
        return `signed in to the Databricks workspace${typeof user === 'string' ? ` as ${user.slice(0, 100)}` : ''} in ${response.latencyMs} ms`;
      }),
    ...(cluster ? { then: cluster } : {}),
  };
}

/**
 * OAuth machine-to-machine (a service principal): the client id and secret are exchanged for an access token
 * at the workspace's `/oidc/v1/token` (client_credentials, scope all-apis, HTTP Basic), which then signs the
 * same calls as a personal access token. The access token lives for this test only and is never reported.
 */
async function databricksM2m(host: string, clientId: string, clientSecret: string, ca: string | undefined, clusterId: string | undefined, settings: ProbeSettings): Promise<ProbeOutcome> {
  const url = joinUrl(host, '/oidc/v1/token');
  let accessToken: string | undefined;
  const exchange: ProbePlan = {
    label: `POST ${url}`,
    request: {
      method: 'POST',
      url,
      headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'all-apis' }).toString(),
      ...(ca ? { ca } : {}),
    },
    judge: (response) => {
      // a wrong client id or secret: 401 (invalid_client), or 400 from some identity providers
      if (response.statusCode === 400 || response.statusCode === 401) {
        return { ok: false, failure: 'unauthorized', message: `the Databricks workspace refused the OAuth client credentials (HTTP ${response.statusCode})`, response };
      }
      const step = byStatus(response, 'the Databricks token endpoint', () => 'signed in with OAuth client credentials');
      if (!step.ok) return step;
      const token = json(response.body)?.access_token;
      if (typeof token !== 'string' || token.length === 0) {
        return { ok: false, failure: 'invalid_response', message: 'the Databricks token endpoint answered without an access_token', response };
      }
      accessToken = token;
      return step;
    },
  };
  const signedIn = await runPlan(exchange, settings);
  if (!signedIn.ok || accessToken === undefined) return signedIn;
  const rest = await runPlan(databricksPlan(host, accessToken, ca, clusterId), settings, signedIn.attempts, signedIn.latencyMs);
  const redact = (text: string) => text.split(accessToken as string).join('••••');
  return { ...rest, message: redact(rest.message), probe: redact(rest.probe) };
}

function snowflakePlan(config: RuntimeConfig, password: string, ca: string | undefined): ProbePlan {
  const account = String(config.account);
  const base = config.endpointUrl ? String(config.endpointUrl) : `https://${account}.snowflakecomputing.com`;
  const query = new URLSearchParams({ warehouse: String(config.warehouse), ...(config.role ? { roleName: String(config.role) } : {}), ...(config.database ? { databaseName: String(config.database) } : {}) });
  const url = `${joinUrl(base, '/session/v1/login-request')}?${query.toString()}`;
  const body = JSON.stringify({
    data: { ACCOUNT_NAME: account.split('.')[0]!.toUpperCase(), LOGIN_NAME: String(config.user), PASSWORD: password, CLIENT_APP_ID: 'Steward', CLIENT_APP_VERSION: '0.1.0' },
  });
  return {
    label: `POST ${joinUrl(base, '/session/v1/login-request')}`,
    request: { method: 'POST', url, body, headers: { 'content-type': 'application/json' }, ...(ca ? { ca } : {}) },
    judge: (response) => {
      if (response.statusCode !== 200) return byStatus(response, 'the Snowflake login endpoint', () => '');
      const answer = json(response.body);
      if (answer?.success === true) return { ok: true, message: `signed in to Snowflake account ${account} as ${String(config.user)} in ${response.latencyMs} ms`, response };
      const said = typeof answer?.message === 'string' ? `: ${answer.message.slice(0, 200)}` : '';
      return { ok: false, failure: answer ? 'invalid_credentials' : 'invalid_response', message: `Snowflake refused the sign-in${said}`, response };
    },
  };
}

function dockerPlan(host: string, ca: string | undefined): ProbePlan {
  const socketPath = host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
  const base = socketPath ? 'http://localhost' : host.replace(/^tcp:\/\//, 'http://');
  const url = joinUrl(base, '/_ping');
  return {
    label: socketPath ? `GET /_ping on ${host}` : `GET ${url}`,
    request: { method: 'GET', url, ...(socketPath ? { socketPath } : {}), ...(ca ? { ca } : {}) },
    judge: (response) =>
      byStatus(response, 'the Docker Engine', () => {
        const version = response.headers['api-version'];
        return `Docker Engine answered ${response.body.trim().slice(0, 20) || 'OK'}${typeof version === 'string' ? ` (API ${version.slice(0, 10)})` : ''} in ${response.latencyMs} ms`;
      }),
  };
}

function reachabilityPlan(url: string, ca: string | undefined): ProbePlan {
  return {
    label: `GET ${url}`,
    request: { method: 'GET', url, ...(ca ? { ca } : {}) },
    // any HTTP answer over TLS means the regional endpoint is there; the credentials are not sent
    judge: (response) => ({
      ok: true,
      message: `credentials well-formed; regional endpoint ${new URL(url).host} reachable (HTTP ${response.statusCode}) in ${response.latencyMs} ms`,
      response,
    }),
  };
}

/** The public regional endpoint of a cloud provider (or the configured private one). */
export function regionalEndpoint(provider: RuntimeProviderId, config: RuntimeConfig): string {
  if (config.endpointUrl) return String(config.endpointUrl);
  const region = String(config.region ?? '');
  switch (provider) {
    case 'dataproc':
    case 'dataproc_serverless':
      return `https://${region}-dataproc.googleapis.com/`;
    case 'vertex_ai':
      return `https://${region}-aiplatform.googleapis.com/`;
    case 'cloud_run':
      return `https://${region}-run.googleapis.com/`;
    case 'emr_serverless':
      return `https://emr-serverless.${region}.amazonaws.com/`;
    case 'lambda':
      return `https://lambda.${region}.amazonaws.com/`;
    case 'fargate':
      return `https://ecs.${region}.amazonaws.com/`;
    case 'synapse_serverless':
      return `https://${String(config.workspaceName)}.dev.azuresynapse.net/`;
    default:
      throw new Error(`${provider} has no regional endpoint`);
  }
}

/** The format checks of the serverless credentials (the schema checked the shapes; this opens the keys). */
function credentialProblem(target: ProbeTarget): string | undefined {
  const { secrets, config } = target;
  if (secrets.serviceAccountKey !== undefined) {
    try {
      const key = JSON.parse(secrets.serviceAccountKey) as { private_key?: string; project_id?: string };
      createPrivateKey(key.private_key ?? '');
      if (key.project_id && config.projectId && key.project_id !== config.projectId) {
        return `the service account key belongs to project ${key.project_id.slice(0, 40)}, not ${String(config.projectId)}`;
      }
    } catch {
      return 'the service account key does not hold a readable private key';
    }
    return undefined;
  }
  if (secrets.secretAccessKey !== undefined) {
    if (!/^(AKIA|ASIA)[A-Z0-9]{16}$/.test(String(config.accessKeyId ?? ''))) return 'the AWS access key id is not well-formed';
    if (!/^[A-Za-z0-9/+=]{40}$/.test(secrets.secretAccessKey)) return 'the AWS secret access key is not 40 characters of base64';
    return undefined;
  }
  if (secrets.clientSecret !== undefined) return secrets.clientSecret.trim().length >= 8 ? undefined : 'the client secret is too short';
  return 'the runtime has no stored credentials';
}
