/** The Setup Guide dialog's tabs: Data Ingestion, Serverless Spark, Databricks, Snowflake, Google Cloud. */
export type RuntimeGuideId = 'data_ingestion' | 'serverless_spark' | 'databricks' | 'snowflake' | 'google_cloud';

export interface RuntimeSetupGuide {
  readonly id: RuntimeGuideId;
  readonly title: string;
  readonly summary: string;
  readonly steps: readonly string[];
}

export const RUNTIME_SETUP_GUIDES: Readonly<Record<RuntimeGuideId, RuntimeSetupGuide>> = {
  data_ingestion: {
    id: 'data_ingestion',
    title: 'Data Ingestion',
    summary: 'A Kubernetes cluster (GKE, EKS, AKS or your own) that runs ingestion jobs (CDC, batch sync); the same steps fit a Kubernetes or Docker Python runtime.',
    steps: [
      'Create a namespace for Steward jobs: kubectl create namespace steward-ingestion.',
      'Create a service account in it and bind it to a role that may create Jobs, Pods and ConfigMaps in that namespace.',
      'Create a long-lived token for it: kubectl create token steward-runner -n steward-ingestion --duration=8760h (or a service-account-token Secret).',
      'Copy the API server URL (kubectl config view --minify -o jsonpath={.clusters[0].cluster.server}) and, for a private CA, the cluster CA certificate (PEM).',
      'Add Runtime → Data Ingestion Runtime, pick the provider, paste server, namespace, CA and token, then click Test: Steward calls GET {server}/version with the token.',
      'Docker: expose the Engine API on a unix socket or tcp://host:port reachable from Steward; Test calls GET /_ping.',
    ],
  },
  serverless_spark: {
    id: 'serverless_spark',
    title: 'Serverless Spark',
    summary: 'Dataproc Serverless, EMR Serverless and Synapse Serverless (and the serverless Python runtimes Lambda and Fargate): credentials for the cloud API in one region.',
    steps: [
      'AWS (EMR Serverless, Lambda, Fargate): create an IAM user or role for Steward with the service permissions and an access key; note the region and, for EMR Serverless, the application id and the job execution role ARN.',
      'Google Cloud (Dataproc Serverless): create a service account with roles/dataproc.editor and a JSON key; note the project and region.',
      'Azure (Synapse Serverless): register an application (service principal), create a client secret, grant it Synapse Contributor on the workspace; note the tenant id, client id and workspace name.',
      'Behind a private endpoint, give its URL as endpointUrl.',
      'Test checks the credential formats and that the regional endpoint answers over TLS.',
    ],
  },
  databricks: {
    id: 'databricks',
    title: 'Databricks',
    summary: 'A Databricks workspace: a cluster for classic jobs, or serverless compute.',
    steps: [
      'Open the workspace and copy its URL (https://<workspace>.cloud.databricks.com or https://adb-….azuredatabricks.net).',
      'Either a personal access token: User Settings → Developer → Access tokens → Generate new token (token),',
      'or OAuth machine-to-machine for a service principal: Settings → Identity and access → Service principals → Secrets → Generate secret (clientId and clientSecret).',
      'Classic: copy the cluster id from Compute → your cluster.',
      'Test makes an authenticated call to the workspace REST API (GET /api/2.0/preview/scim/v2/Me), after exchanging OAuth client credentials at /oidc/v1/token.',
    ],
  },
  snowflake: {
    id: 'snowflake',
    title: 'Snowflake',
    summary: 'A Snowflake account, a user for Steward and a warehouse to run on.',
    steps: [
      'Find the account identifier (Admin → Accounts: orgname-accountname, or the locator with its region).',
      'Create a user and role for Steward and grant the role USAGE on the warehouse (and the database).',
      'With PrivateLink, give the private URL as endpointUrl.',
      'Test signs in at the account login endpoint (https://<account>.snowflakecomputing.com/session/v1/login-request).',
    ],
  },
  google_cloud: {
    id: 'google_cloud',
    title: 'Google Cloud',
    summary: 'Dataproc clusters, Vertex AI and Cloud Run in a Google Cloud project.',
    steps: [
      'Enable the Dataproc, Vertex AI or Cloud Run API in the project.',
      'Create a service account with the matching role (Dataproc Editor, Vertex AI User, Cloud Run Developer) and download a JSON key.',
      'Note the project id and the region (e.g. europe-west1).',
      'Test checks the key format and that the regional endpoint ({region}-dataproc.googleapis.com, {region}-aiplatform.googleapis.com, {region}-run.googleapis.com) answers.',
    ],
  },
};
