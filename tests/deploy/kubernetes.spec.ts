/**
 * Steward's Kubernetes manifests (deploy/k8s/steward), rendered by `kubectl kustomize` (Debian's
 * kubectl) for the base and the production overlay, every object validated offline against the
 * Kubernetes schemas (kubernetes-models), and the properties a rollout relies on asserted: one
 * Deployment per process, replicas, probes on the endpoints the processes serve, resources, PDBs, the
 * gateway's HPA, the migration, secrets by reference, and NetworkPolicies that let only the gateway be
 * reached from outside.
 *
 * kubectl is not on a new machine of this kind, and Debian bookworm's `kubernetes-client` (1.20, kustomize
 * v2) cannot render these kustomizations: without a kubectl whose kustomize is v5, the suite reports itself
 * skipped, by name.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { stewardProcesses } from '@steward/config';
import { parseDockerfile } from './dockerfile';

const ROOT = join(__dirname, '..', '..');

interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly spec?: any;
}

interface LabelSelector {
  readonly matchLabels?: Record<string, string>;
  readonly matchExpressions?: readonly { key: string; operator: string; values?: readonly string[] }[];
}

/** The kustomize version of the kubectl on PATH (`v5.5.0`), or undefined without one. */
function kustomizeVersion(): string | undefined {
  const result = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  return (JSON.parse(result.stdout) as { kustomizeVersion?: string }).kustomizeVersion;
}

function render(dir: string): K8sObject[] {
  const result = spawnSync('kubectl', ['kustomize', join(ROOT, dir)], { encoding: 'utf8' });
  if (result.error) throw new Error(`kubectl is needed to render the manifests (Debian: apt-get install kubectl): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout).map((document) => document.toJS() as K8sObject);
}

/** The kubernetes-models class of an object (`apps/v1` Deployment → kubernetes-models/apps/v1/Deployment). */
function modelClass(object: K8sObject): new (data: unknown) => { validate(): void } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(`kubernetes-models/${object.apiVersion}/${object.kind}`) as Record<string, new (data: unknown) => { validate(): void }>;
  return module[object.kind]!;
}

function matches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every((expression) => {
    if (expression.operator === 'In') return expression.values!.includes(labels[expression.key]!);
    if (expression.operator === 'NotIn') return !expression.values!.includes(labels[expression.key]!);
    if (expression.operator === 'Exists') return expression.key in labels;
    return !(expression.key in labels);
  });
  return byLabels && byExpressions;
}

/** A peer that tries to connect to a pod: from a namespace (with its labels) and a pod (with its labels). */
interface Peer {
  readonly sameNamespace: boolean;
  readonly namespaceLabels: Record<string, string>;
  readonly podLabels: Record<string, string>;
}

/**
 * Whether NetworkPolicies let `peer` open `port` (a container port's name or number) on a pod with
 * `labels`, as an enforcing network plugin decides: allowed when no Ingress policy selects the pod, else
 * when a rule of one that does admits the peer on that port.
 */
function admits(policies: readonly K8sObject[], labels: Record<string, string>, port: { name?: string; number: number }, peer: Peer): boolean {
  const selecting = policies.filter((policy) => matches(policy.spec.podSelector, labels) && (policy.spec.policyTypes ?? ['Ingress']).includes('Ingress'));
  if (selecting.length === 0) return true;
  return selecting.some((policy) =>
    ((policy.spec.ingress ?? []) as { from?: { podSelector?: LabelSelector; namespaceSelector?: LabelSelector }[]; ports?: { port?: string | number }[] }[]).some((rule) => {
      const portAllowed = !rule.ports || rule.ports.some((allowed) => allowed.port === undefined || allowed.port === port.name || allowed.port === port.number);
      const peerAllowed =
        !rule.from ||
        rule.from.some((from) => {
          if (from.namespaceSelector === undefined) return peer.sameNamespace && matches(from.podSelector, peer.podLabels);
          return matches(from.namespaceSelector, peer.namespaceLabels) && matches(from.podSelector, peer.podLabels);
        });
      return portAllowed && peerAllowed;
    }),
  );
}

const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const imageEnv = dockerfile.stages
  .at(-1)!
  .instructions.filter((instruction) => instruction.keyword === 'ENV')
  .map((instruction) => instruction.args)
  .join(' ');
const OPS_PORT = Number(/\bSTEWARD_OPS_PORT=(\d+)/.exec(imageEnv)![1]);
const API_PORT = Number(/(?:^|\s)PORT=(\d+)/.exec(imageEnv)![1]);
const IMAGE_UID = Number(dockerfile.stages.at(-1)!.instructions.find((instruction) => instruction.keyword === 'USER')!.args.split(':')[0]);
const PROCESSES = stewardProcesses().map((spec) => spec.name);
const KUSTOMIZE = kustomizeVersion();
const usable = KUSTOMIZE !== undefined && /^v[5-9]\./.test(KUSTOMIZE);
const infrastructure = usable ? render('deploy/k8s') : [];

(usable ? describe.each : describe.skip.each)([
  ['base', 'deploy/k8s/steward/base'],
  ['production overlay', 'deploy/k8s/steward/overlays/production'],
])(`Kubernetes manifests: %s${usable ? '' : ' (skipped: needs kubectl with kustomize v5 on PATH)'}`, (_name, dir) => {
  const objects = usable ? render(dir) : [];
  const of = (kind: string): K8sObject[] => objects.filter((object) => object.kind === kind);
  const deployments = of('Deployment');
  const byName = (name: string): K8sObject => deployments.find((deployment) => deployment.metadata.name === name)!;
  const container = (deployment: K8sObject) => deployment.spec.template.spec.containers.find((candidate: { name: string }) => candidate.name === 'steward');

  it('renders objects that each validate against the Kubernetes schema, all in the steward namespace', () => {
    expect(objects.length).toBeGreaterThan(15);
    for (const object of objects) {
      const Model = modelClass(object);
      expect(() => new Model(object).validate()).not.toThrow();
      expect({ object: `${object.kind}/${object.metadata.name}`, namespace: object.metadata.namespace }).toEqual({ object: `${object.kind}/${object.metadata.name}`, namespace: 'steward' });
    }
  });

  it('the schema check is live: a malformed object is refused', () => {
    const broken = structuredClone(byName('gateway')) as { spec: { template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } } } };
    broken.spec.template.spec.containers[0]!.ports[0]!.containerPort = 'eighty';
    const Model = modelClass(byName('gateway'));
    expect(() => new Model(broken).validate()).toThrow(/containerPort/);
  });

  it('has one Deployment per Steward process, each running that process from the one image', () => {
    expect(deployments.map((deployment) => deployment.metadata.name).sort()).toEqual([...PROCESSES].sort());
    const images = new Set<string>();
    for (const deployment of deployments) {
      const steward = container(deployment);
      expect({ name: deployment.metadata.name, args: steward.args }).toEqual({ name: deployment.metadata.name, args: [deployment.metadata.name] });
      images.add(steward.image);
      for (const init of deployment.spec.template.spec.initContainers) images.add(init.image);
    }
    for (const job of of('Job')) for (const jobContainer of job.spec.template.spec.containers) images.add(jobContainer.image);
    expect(images.size).toBe(1);
  });

  it('runs the replicas each process is built for', () => {
    const replicas = Object.fromEntries(deployments.map((deployment) => [deployment.metadata.name, deployment.spec.replicas as number]));
    expect(replicas.gateway).toBeGreaterThanOrEqual(2);
    expect(replicas['usage-metering']).toBeGreaterThanOrEqual(2);
    // Standby by the leader lock: a third would only wait too.
    expect(replicas.projections).toBe(2);
    // Its new replica is not ready while it rebuilds an outdated read model: the rollout may wait that long.
    expect(byName('projections').spec.progressDeadlineSeconds).toBeGreaterThanOrEqual(1800);
    // One relay: a second would publish every event twice (deploy/k8s/steward/base/relay.yaml).
    expect(replicas.relay).toBe(1);
    // Every command service (billing too, once it is a process) and anything else: two at least.
    for (const name of PROCESSES.filter((process) => !['relay', 'projections'].includes(process))) {
      expect({ name, atLeastTwo: replicas[name]! >= 2 }).toEqual({ name, atLeastTwo: true });
    }
  });

  it('probes every process on the endpoints it serves: /readyz for readiness, /healthz for liveness and startup', () => {
    for (const deployment of deployments) {
      const steward = container(deployment);
      const name = deployment.metadata.name;
      const expectedPort = name === 'gateway' ? API_PORT : OPS_PORT;
      const ports = new Map<string, number>(steward.ports.map((port: { name: string; containerPort: number }) => [port.name, port.containerPort]));
      for (const [probe, path] of [
        ['readinessProbe', '/readyz'],
        ['livenessProbe', '/healthz'],
        ['startupProbe', '/healthz'],
      ] as const) {
        const httpGet = steward[probe]?.httpGet as { path: string; port: string | number } | undefined;
        const port = typeof httpGet?.port === 'string' ? ports.get(httpGet.port) : httpGet?.port;
        expect({ name, probe, path: httpGet?.path, port }).toEqual({ name, probe, path, port: expectedPort });
      }
    }
  });

  it('gives every container requests and limits for CPU and memory, requests within limits', () => {
    const quantity = (text: string | number): number => {
      const value = String(text);
      const units: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
      const unit = Object.keys(units).find((suffix) => value.endsWith(suffix));
      return unit ? Number(value.slice(0, -unit.length)) * units[unit]! : Number(value);
    };
    const containers = [
      ...deployments.flatMap((deployment) => [...deployment.spec.template.spec.containers, ...deployment.spec.template.spec.initContainers].map((c) => [deployment.metadata.name, c] as const)),
      ...of('Job').flatMap((job) => job.spec.template.spec.containers.map((c: unknown) => [job.metadata.name, c] as const)),
    ];
    for (const [owner, each] of containers) {
      const { requests, limits } = (each as { resources: { requests: Record<string, string>; limits: Record<string, string> } }).resources;
      for (const resource of ['cpu', 'memory']) {
        expect({ owner, resource, requestWithinLimit: quantity(requests[resource]!) <= quantity(limits[resource]!) }).toEqual({ owner, resource, requestWithinLimit: true });
      }
    }
  });

  it('migrates before any process of a release runs: a Job, and an init container in every pod', () => {
    const [job, ...others] = of('Job');
    expect(others).toEqual([]);
    expect(job!.spec.template.spec.containers.map((c: { args: string[] }) => c.args)).toEqual([['migrate']]);
    expect(job!.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    for (const deployment of deployments) {
      const inits = deployment.spec.template.spec.initContainers as { name: string; args: string[] }[];
      expect({ name: deployment.metadata.name, init: inits.map((init) => init.args) }).toEqual({ name: deployment.metadata.name, init: [['migrate']] });
    }
  });

  it('takes the master key and the database URL from a Secret, never from a value in the manifests', () => {
    expect(of('Secret')).toEqual([]);
    const envs = [
      ...deployments.flatMap((deployment) => [...deployment.spec.template.spec.containers, ...deployment.spec.template.spec.initContainers]),
      ...of('Job').flatMap((job) => job.spec.template.spec.containers),
    ].flatMap((each: { env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[] }) => each.env ?? []);
    for (const variable of envs.filter((candidate) => /KEY|SECRET|PASSWORD|TOKEN|DATABASE_URL/.test(candidate.name))) {
      expect({ name: variable.name, value: variable.value, secret: variable.valueFrom?.secretKeyRef?.name }).toEqual({ name: variable.name, value: undefined, secret: 'steward-secrets' });
    }
    for (const deployment of deployments) {
      const names = (container(deployment).env as { name: string; valueFrom?: { secretKeyRef?: { key: string } } }[]).map((variable) => [variable.name, variable.valueFrom?.secretKeyRef?.key]);
      expect(names).toEqual(expect.arrayContaining([['STEWARD_MASTER_KEY', 'STEWARD_MASTER_KEY']]));
    }
  });

  it('runs as the image’s non-root user, read-only, and stops within the grace period', () => {
    for (const deployment of deployments) {
      const pod = deployment.spec.template.spec;
      expect({ name: deployment.metadata.name, runAsNonRoot: pod.securityContext.runAsNonRoot, runAsUser: pod.securityContext.runAsUser }).toEqual({
        name: deployment.metadata.name,
        runAsNonRoot: true,
        runAsUser: IMAGE_UID,
      });
      expect(container(deployment).securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
      expect(pod.automountServiceAccountToken).toBe(false);
      // The processes drain in seconds on SIGTERM (tests/deploy/image-layout.e2e.spec.ts measures it).
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(20);
      const preStop = container(deployment).lifecycle?.preStop?.exec?.command as string[] | undefined;
      if (preStop) expect(Number(preStop[1]) + 10).toBeLessThan(pod.terminationGracePeriodSeconds);
      expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    }
  });

  it('has a PodDisruptionBudget for every replicated process, one pod at a time', () => {
    const budgets = of('PodDisruptionBudget');
    for (const deployment of deployments.filter((candidate) => candidate.spec.replicas >= 2)) {
      const labels = deployment.spec.template.metadata.labels as Record<string, string>;
      const covering = budgets.filter((budget) => matches(budget.spec.selector, labels));
      expect({ name: deployment.metadata.name, budgets: covering.map((budget) => budget.spec.maxUnavailable) }).toEqual({ name: deployment.metadata.name, budgets: [1] });
    }
  });

  it('autoscales the gateway from at least two replicas', () => {
    const [hpa, ...others] = of('HorizontalPodAutoscaler');
    expect(others).toEqual([]);
    expect(hpa!.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'gateway' });
    expect(hpa!.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa!.spec.maxReplicas).toBeGreaterThan(hpa!.spec.minReplicas);
    expect(byName('gateway').spec.replicas).toBe(hpa!.spec.minReplicas);
  });

  it('lets only the gateway be reached from outside the namespace, on its API port', () => {
    const policies = of('NetworkPolicy');
    const outside: Peer = { sameNamespace: false, namespaceLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' }, podLabels: { app: 'ingress-nginx' } };
    const monitoring: Peer = { sameNamespace: false, namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' }, podLabels: { app: 'prometheus' } };
    const neighbour: Peer = { sameNamespace: true, namespaceLabels: { 'kubernetes.io/metadata.name': 'steward' }, podLabels: { 'app.kubernetes.io/name': 'steward', 'app.kubernetes.io/component': 'gateway' } };
    for (const deployment of deployments) {
      const labels = deployment.spec.template.metadata.labels as Record<string, string>;
      const ports = container(deployment).ports as { name: string; containerPort: number }[];
      const name = deployment.metadata.name;
      for (const port of ports) {
        const reachable = { outside: admits(policies, labels, { name: port.name, number: port.containerPort }, outside), monitoring: admits(policies, labels, { name: port.name, number: port.containerPort }, monitoring) };
        expect({ name, port: port.name, ...reachable }).toEqual({ name, port: port.name, outside: name === 'gateway', monitoring: true });
      }
      // Nothing else listens, and nothing else is admitted: not even another Steward pod.
      if (name !== 'gateway') expect(admits(policies, labels, { name: 'debug', number: 9229 }, neighbour)).toBe(false);
    }
    // The infrastructure of deploy/k8s: reachable from Steward's pods, never from outside.
    const infraPods = infrastructure.filter((object) => ['StatefulSet', 'Deployment'].includes(object.kind));
    expect(infraPods.map((object) => object.metadata.name).sort()).toEqual(['nats', 'otel-collector', 'postgres', 'redis']);
    for (const workload of infraPods) {
      const labels = workload.spec.template.metadata.labels as Record<string, string>;
      for (const each of workload.spec.template.spec.containers as { ports?: { name?: string; containerPort: number }[] }[]) {
        for (const port of each.ports ?? []) {
          const target = { name: port.name, number: port.containerPort };
          expect({ workload: workload.metadata.name, port: port.containerPort, outside: admits(policies, labels, target, outside), steward: admits(policies, labels, target, neighbour) }).toEqual({
            workload: workload.metadata.name,
            port: port.containerPort,
            outside: false,
            steward: true,
          });
        }
      }
    }
  });

  it('exposes only the gateway as a Service (and through an Ingress, where there is one)', () => {
    expect(of('Service').map((service) => service.metadata.name)).toEqual(['gateway']);
    const backends = of('Ingress').flatMap((ingress) => ingress.spec.rules.flatMap((rule: { http: { paths: { backend: { service: { name: string } } }[] } }) => rule.http.paths.map((path) => path.backend.service.name)));
    expect(new Set(backends).size).toBeLessThanOrEqual(1);
    if (backends.length > 0) expect(backends[0]).toBe('gateway');
  });
});
