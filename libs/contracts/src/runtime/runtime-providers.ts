import { z } from 'zod';
import { isStorableText, text as storableText } from '../fields';
import { RUNTIME_CATEGORIES, RUNTIME_CATEGORY_LABELS, type RuntimeCategory, type RuntimeProviderId } from './runtime-fields';
import { RUNTIME_SETUP_GUIDES, type RuntimeGuideId } from './runtime-guides';

/*
 * The provider catalogue of the Runtime Environments page: each provider's
 * category, configuration schema (zod; published as JSON Schema), which fields
 * are secrets (stored encrypted, shown only as a masked hint), how a
 * connection test probes it, and its setup guide.
 */

/** How a connection test reaches a provider (the worker has one probe per family). */
export type RuntimeProbeFamily = 'kubernetes' | 'databricks' | 'snowflake' | 'docker' | 'cloud_api';

/** What a stored configuration value must be (see textProblem in fields.ts). */
const STORABLE = 'must be valid Unicode without the NUL character';
const text = (max = 200) => storableText({ min: 1, max, trim: true, singleLine: true });
const httpsUrl = (description: string) =>
  z
    .url({ protocol: /^https$/, error: 'must be an https:// URL' })
    .max(2048)
    .refine(isStorableText, STORABLE)
    .meta({ description });
const pem = storableText({ max: 20_000 })
  .refine((value) => /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(value), 'must be a PEM certificate (-----BEGIN CERTIFICATE-----)')
  .meta({ description: 'PEM CA certificate(s) to trust for this endpoint, when not a public CA' });
const secret = <T extends z.ZodString>(schema: T, description: string) => schema.meta({ writeOnly: true, description: `${description} (secret: stored encrypted, shown masked)` });
const region = text(64)
  .regex(/^[a-z]{2,}(-[a-z0-9]+)+$/, 'must be a region id such as europe-west1 or eu-west-1')
  .meta({ description: 'Region id, e.g. europe-west1 or eu-west-1' });
const endpointOverride = httpsUrl('Private or custom endpoint to use instead of the public regional one (Private Service Connect, PrivateLink, a proxy)');
const namespace = z
  .string()
  .trim()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes namespace name (lower-case letters, digits, "-")')
  .meta({ description: 'Kubernetes namespace the jobs run in' });

const kubernetesConnection = {
  server: httpsUrl('API server URL, e.g. https://34.76.1.2 or https://k8s.example.com:6443'),
  namespace,
  caCertificate: pem.optional(),
  token: secret(storableText({ min: 8, max: 10_000, trim: true }), 'Service account bearer token'),
};

/**
 * Databricks takes a personal access token (`dapi…`, or any token a workspace issues, OAuth access tokens
 * included: Databricks documents no shape to check) or OAuth machine-to-machine credentials of a service
 * principal (client id and secret, exchanged at the workspace's `/oidc/v1/token`). One of the two, not both.
 */
const databricksCredentials = {
  token: secret(z.string().trim().min(8).max(4096), 'Personal access token or OAuth access token').optional(),
  clientId: text(200).meta({ description: "OAuth M2M: the service principal's client id (application id)" }).optional(),
  clientSecret: secret(z.string().trim().min(8).max(4096), "OAuth M2M: the service principal's OAuth secret").optional(),
};

function oneDatabricksCredential(config: { token?: string | undefined; clientId?: string | undefined; clientSecret?: string | undefined }, context: z.RefinementCtx): void {
  const m2m = config.clientId !== undefined || config.clientSecret !== undefined;
  if (config.token !== undefined && m2m) {
    context.addIssue({ code: 'custom', path: ['token'], message: 'give a token or clientId and clientSecret (OAuth M2M), not both' });
  } else if (!m2m && config.token === undefined) {
    context.addIssue({ code: 'custom', path: ['token'], message: 'required: a token, or clientId and clientSecret (OAuth M2M)' });
  } else if (m2m) {
    for (const field of ['clientId', 'clientSecret'] as const) {
      if (config[field] === undefined) context.addIssue({ code: 'custom', path: [field], message: 'OAuth M2M needs clientId and clientSecret' });
    }
  }
}

const gcpServiceAccountKey = secret(
  z
    .string()
    .max(20_000)
    .refine(isServiceAccountKey, 'must be a Google Cloud service account key (JSON with type "service_account", client_email and private_key)'),
  'Service account key (JSON)',
);
const gcpProject = text(30)
  .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be a Google Cloud project id')
  .meta({ description: 'Google Cloud project id' });

const awsAccessKeyId = z
  .string()
  .trim()
  .regex(/^(AKIA|ASIA)[A-Z0-9]{16}$/, 'must be an AWS access key id (AKIA… or ASIA…, 20 characters)')
  .meta({ description: 'AWS access key id' });
const awsSecretAccessKey = secret(
  z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9/+=]{40}$/, 'must be an AWS secret access key (40 characters)'),
  'AWS secret access key',
);
const roleArn = z
  .string()
  .trim()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)')
  .meta({ description: 'IAM role the jobs run as' });
const uuid = (description: string) => z.uuid({ error: 'must be a UUID' }).meta({ description });

/** Each provider's fields alone (for checking some of them: a change of configuration); see RuntimeProviderSchemas. */
export const RuntimeProviderFieldSchemas = {
  gke: z.strictObject({ projectId: gcpProject, location: region, clusterName: text(100), ...kubernetesConnection }),
  eks: z.strictObject({ region, clusterName: text(100), ...kubernetesConnection }),
  aks: z.strictObject({ resourceGroup: text(90), clusterName: text(63), ...kubernetesConnection }),
  onprem_k8s: z.strictObject({ ...kubernetesConnection }),
  databricks: z.strictObject({
    host: httpsUrl('Workspace URL, e.g. https://adb-1234567890123456.7.azuredatabricks.net'),
    clusterId: text(100).meta({ description: 'Cluster id (Compute → cluster → Advanced options → Tags)' }),
    caCertificate: pem.optional(),
    ...databricksCredentials,
  }),
  databricks_serverless: z.strictObject({
    host: httpsUrl('Workspace URL, e.g. https://dbc-a1b2c3d4-e5f6.cloud.databricks.com'),
    caCertificate: pem.optional(),
    ...databricksCredentials,
  }),
  dataproc: z.strictObject({
    projectId: gcpProject,
    region,
    clusterName: text(51),
    endpointUrl: endpointOverride.optional(),
    caCertificate: pem.optional(),
    serviceAccountKey: gcpServiceAccountKey,
  }),
  dataproc_serverless: z.strictObject({
    projectId: gcpProject,
    region,
    subnetwork: text(300).optional(),
    endpointUrl: endpointOverride.optional(),
    caCertificate: pem.optional(),
    serviceAccountKey: gcpServiceAccountKey,
  }),
  emr_serverless: z.strictObject({
    region,
    applicationId: text(64),
    executionRoleArn: roleArn,
    accessKeyId: awsAccessKeyId,
    endpointUrl: endpointOverride.optional(),
    caCertificate: pem.optional(),
    secretAccessKey: awsSecretAccessKey,
  }),
  synapse_serverless: z.strictObject({
    tenantId: uuid('Microsoft Entra tenant id'),
    clientId: uuid('Service principal (application) id'),
    workspaceName: text(50)
      .regex(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/, 'must be a Synapse workspace name (lower-case letters, digits, "-")')
      .meta({ description: 'Synapse workspace name' }),
    endpointUrl: endpointOverride.optional(),
    caCertificate: pem.optional(),
    clientSecret: secret(storableText({ min: 8, max: 500, trim: true }), 'Service principal client secret'),
  }),
  snowflake: z.strictObject({
    account: text(255)
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a Snowflake account identifier (orgname-accountname or locator.region)')
      .meta({ description: 'Account identifier, e.g. myorg-myaccount or xy12345.eu-west-1' }),
    user: text(255),
    warehouse: text(255),
    database: text(255).optional(),
    role: text(255).optional(),
    endpointUrl: endpointOverride.optional(),
    caCertificate: pem.optional(),
    password: secret(storableText({ min: 1, max: 1000 }), 'Password of the user'),
  }),
  vertex_ai: z.strictObject({
    projectId: gcpProject,
    region,
    endpointUrl: endpointOverride.optional(),
    caCertificate: pem.optional(),
    serviceAccountKey: gcpServiceAccountKey,
  }),
  kubernetes: z.strictObject({ ...kubernetesConnection, image: text(500).optional().meta({ description: 'Default container image' }) }),
  cloud_run: z.strictObject({
    projectId: gcpProject,
    region,
    endpointUrl: endpointOverride.optional(),
    caCertificate: pem.optional(),
    serviceAccountKey: gcpServiceAccountKey,
  }),
  lambda: z.strictObject({
    region,
    executionRoleArn: roleArn.optional(),
    accessKeyId: awsAccessKeyId,
    endpointUrl: endpointOverride.optional(),
    caCertificate: pem.optional(),
    secretAccessKey: awsSecretAccessKey,
  }),
  fargate: z.strictObject({
    region,
    cluster: text(255).meta({ description: 'ECS cluster name or ARN' }),
    accessKeyId: awsAccessKeyId,
    endpointUrl: endpointOverride.optional(),
    caCertificate: pem.optional(),
    secretAccessKey: awsSecretAccessKey,
  }),
  docker: z.strictObject({
    host: z
      .string()
      .trim()
      .max(2048)
      .refine(isStorableText, STORABLE)
      .refine(isDockerHost, 'must be unix:///path/to/docker.sock, tcp://host:port or https://host:port')
      .optional()
      .meta({ description: 'Docker Engine endpoint; default unix:///var/run/docker.sock' }),
    caCertificate: pem.optional(),
    image: text(500).optional().meta({ description: 'Default image, e.g. python:3.12-slim' }),
  }),
} as const satisfies Record<RuntimeProviderId, z.ZodObject>;

/** Each provider's whole configuration: its fields and the rules across them (one Databricks credential form). */
export const RuntimeProviderSchemas = {
  ...RuntimeProviderFieldSchemas,
  databricks: RuntimeProviderFieldSchemas.databricks.superRefine(oneDatabricksCredential),
  databricks_serverless: RuntimeProviderFieldSchemas.databricks_serverless.superRefine(oneDatabricksCredential),
} as const satisfies Record<RuntimeProviderId, z.ZodObject>;

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

interface ProviderInfo {
  readonly label: string;
  readonly category: RuntimeCategory;
  readonly family: RuntimeProbeFamily;
  readonly guide: RuntimeGuideId;
  readonly secretFields: readonly string[];
  /** Alternative ways to sign in (Databricks: a token, or OAuth M2M): giving one in a change drops the others. */
  readonly credentialForms?: ReadonlyArray<readonly string[]>;
}

const K8S_SECRETS = ['token'] as const;
const DATABRICKS_SECRETS = ['token', 'clientSecret'] as const;
const DATABRICKS_FORMS = [['token'], ['clientId', 'clientSecret']] as const;
const PROVIDERS: Readonly<Record<RuntimeProviderId, ProviderInfo>> = {
  gke: { label: 'GCP / GKE', category: 'data_ingestion', family: 'kubernetes', guide: 'data_ingestion', secretFields: K8S_SECRETS },
  eks: { label: 'AWS / EKS', category: 'data_ingestion', family: 'kubernetes', guide: 'data_ingestion', secretFields: K8S_SECRETS },
  aks: { label: 'Azure / AKS', category: 'data_ingestion', family: 'kubernetes', guide: 'data_ingestion', secretFields: K8S_SECRETS },
  onprem_k8s: { label: 'On-Premise Kubernetes', category: 'data_ingestion', family: 'kubernetes', guide: 'data_ingestion', secretFields: K8S_SECRETS },
  databricks: { label: 'Databricks', category: 'spark_processing', family: 'databricks', guide: 'databricks', secretFields: DATABRICKS_SECRETS, credentialForms: DATABRICKS_FORMS },
  databricks_serverless: {
    label: 'Databricks Serverless',
    category: 'spark_processing',
    family: 'databricks',
    guide: 'databricks',
    secretFields: DATABRICKS_SECRETS,
    credentialForms: DATABRICKS_FORMS,
  },
  dataproc: { label: 'Dataproc', category: 'spark_processing', family: 'cloud_api', guide: 'google_cloud', secretFields: ['serviceAccountKey'] },
  dataproc_serverless: { label: 'Dataproc Serverless', category: 'spark_processing', family: 'cloud_api', guide: 'serverless_spark', secretFields: ['serviceAccountKey'] },
  emr_serverless: { label: 'EMR Serverless', category: 'spark_processing', family: 'cloud_api', guide: 'serverless_spark', secretFields: ['secretAccessKey'] },
  synapse_serverless: { label: 'Synapse Serverless', category: 'spark_processing', family: 'cloud_api', guide: 'serverless_spark', secretFields: ['clientSecret'] },
  snowflake: { label: 'Snowflake', category: 'spark_processing', family: 'snowflake', guide: 'snowflake', secretFields: ['password'] },
  vertex_ai: { label: 'Vertex AI', category: 'spark_processing', family: 'cloud_api', guide: 'google_cloud', secretFields: ['serviceAccountKey'] },
  kubernetes: { label: 'Kubernetes', category: 'python_execution', family: 'kubernetes', guide: 'data_ingestion', secretFields: K8S_SECRETS },
  cloud_run: { label: 'Cloud Run', category: 'python_execution', family: 'cloud_api', guide: 'google_cloud', secretFields: ['serviceAccountKey'] },
  lambda: { label: 'Lambda', category: 'python_execution', family: 'cloud_api', guide: 'serverless_spark', secretFields: ['secretAccessKey'] },
  fargate: { label: 'Fargate', category: 'python_execution', family: 'cloud_api', guide: 'serverless_spark', secretFields: ['secretAccessKey'] },
  docker: { label: 'Docker', category: 'python_execution', family: 'docker', guide: 'data_ingestion', secretFields: [] },
};

/** The catalogue's display order within each category (the seeds' order). */
const DISPLAY_ORDER: readonly RuntimeProviderId[] = [
  'gke', 'eks', 'aks', 'onprem_k8s',
  'databricks', 'databricks_serverless', 'dataproc', 'dataproc_serverless', 'emr_serverless', 'synapse_serverless', 'snowflake', 'vertex_ai',
  'docker', 'kubernetes', 'cloud_run', 'lambda', 'fargate',
];

export interface RuntimeProvider extends ProviderInfo {
  readonly id: RuntimeProviderId;
  readonly schema: z.ZodObject;
}

export function runtimeProvider(id: RuntimeProviderId): RuntimeProvider {
  return { id, ...PROVIDERS[id], schema: RuntimeProviderSchemas[id] };
}

export function runtimeProvidersOf(category: RuntimeCategory): RuntimeProvider[] {
  return DISPLAY_ORDER.filter((id) => PROVIDERS[id].category === category).map(runtimeProvider);
}

/**
 * The fields a change of configuration replaces besides its own: giving any field of one credential form
 * (a Databricks token; a client id or secret) drops the fields of the other forms, so switching from one way
 * of signing in to the other needs no way to unset a field.
 */
export function supersededCredentialFields(provider: RuntimeProviderId, changed: readonly string[]): string[] {
  const forms = PROVIDERS[provider].credentialForms ?? [];
  const touched = forms.filter((form) => form.some((field) => changed.includes(field)));
  if (touched.length !== 1) return [];
  return forms.filter((form) => form !== touched[0]).flatMap((form) => [...form]);
}

export function isSecretField(provider: RuntimeProviderId, field: string): boolean {
  return PROVIDERS[provider].secretFields.includes(field);
}

/** The catalogue as `GET /v1/runtime-providers` answers it. */
export function runtimeProviderCatalogue() {
  return {
    categories: RUNTIME_CATEGORIES.map((category) => ({
      id: category,
      label: RUNTIME_CATEGORY_LABELS[category],
      providers: runtimeProvidersOf(category).map((provider) => ({
        id: provider.id,
        label: provider.label,
        category: provider.category,
        probe: provider.family,
        secretFields: [...provider.secretFields],
        guide: provider.guide,
        configSchema: z.toJSONSchema(provider.schema, { io: 'input' }) as Record<string, unknown>,
      })),
    })),
    guides: Object.values(RUNTIME_SETUP_GUIDES).map((guide) => ({ ...guide, steps: [...guide.steps] })),
  };
}

export type RuntimeConfigIssue = { readonly path: readonly (string | number)[]; readonly message: string };

/**
 * Checks a provider's configuration (secrets included) against its schema.
 * Issues name the field inside the config (unknown fields one by one).
 */
export function validateRuntimeConfig(
  provider: RuntimeProviderId,
  config: unknown,
): { ok: true; config: Record<string, string | number | boolean> } | { ok: false; issues: RuntimeConfigIssue[] } {
  const parsed = RuntimeProviderSchemas[provider].safeParse(config);
  if (parsed.success) return { ok: true, config: parsed.data as Record<string, string | number | boolean> };
  const issues: RuntimeConfigIssue[] = [];
  for (const issue of parsed.error.issues) {
    const path = issue.path.filter((part): part is string | number => typeof part !== 'symbol');
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys) issues.push({ path: [...path, key], message: 'unknown field' });
    else issues.push({ path, message: issue.message });
  }
  return { ok: false, issues };
}

function isServiceAccountKey(value: string): boolean {
  try {
    const key = JSON.parse(value) as Record<string, unknown>;
    return (
      key.type === 'service_account' &&
      typeof key.client_email === 'string' &&
      /@.+\.iam\.gserviceaccount\.com$/.test(key.client_email) &&
      typeof key.private_key === 'string' &&
      key.private_key.includes('-----BEGIN PRIVATE KEY-----')
    );
  } catch {
    return false;
  }
}

function isDockerHost(value: string): boolean {
  if (/^unix:\/\/\/.+/.test(value)) return true;
  try {
    const url = new URL(value);
    return ['tcp:', 'https:', 'http:'].includes(url.protocol) && url.hostname.length > 0 && url.port.length > 0;
  } catch {
    return false;
  }
}
