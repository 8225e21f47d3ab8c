import type { RuntimeEvent } from '@steward/contracts';
import { deciderSpec } from '@steward/testing';
import { catalogueDecider, type CatalogueCommand, type CatalogueRequest, type DecisionContext } from './runtime-catalogue.decider';
import { RuntimeError, RuntimeErrorCode } from './runtime.error';

const context: DecisionContext = { organizationId: 'org_1', workspaceId: 'ws_1', actorId: 'usr_admin', at: '2026-11-22T01:00:00.000Z' };
const scope = { organizationId: 'org_1', workspaceId: 'ws_1' };

const { given } = deciderSpec(catalogueDecider);

/** The request sent by usr_admin in ws_1 at the context's time. */
const on = (request: CatalogueRequest): CatalogueCommand => ({ ...request, context });

const register = (runtimeId: string, name: string, provider: 'gke' | 'docker' | 'snowflake' = 'gke', setAsDefault = false): CatalogueCommand =>
  on({
    type: 'RegisterRuntime',
    runtimeId,
    name,
    provider,
    config: { server: 'https://k8s.example.com', namespace: 'steward' },
    secrets: provider === 'docker' ? {} : { token: { ref: `sec_${runtimeId}`, hint: '••••abcd' } },
    setAsDefault,
  });

function registered(runtimeId: string, name: string, category: 'data_ingestion' | 'python_execution' = 'data_ingestion'): RuntimeEvent {
  return {
    type: 'RuntimeRegistered',
    data: {
      ...scope,
      runtimeId,
      name,
      category,
      provider: category === 'data_ingestion' ? 'gke' : 'docker',
      config: { server: 'https://k8s.example.com', namespace: 'steward' },
      secrets: category === 'data_ingestion' ? { token: { ref: `sec_${runtimeId}`, hint: '••••abcd' } } : {},
      registeredBy: 'usr_admin',
      registeredAt: context.at,
    },
  };
}

const defaultSet = (runtimeId: string, previous: string | null, category: 'data_ingestion' | 'python_execution' = 'data_ingestion'): RuntimeEvent => ({
  type: 'RuntimeDefaultSet',
  data: { ...scope, runtimeId, category, previousDefaultRuntimeId: previous, setBy: 'usr_admin', setAt: context.at },
});

describe('runtime catalogue decider', () => {
  it('registers a runtime with its secret references only', () => {
    given([]).when(register('rt-1', 'Prod GKE')).then([registered('rt-1', 'Prod GKE')]);
  });

  it('"set as default" at creation: the registration and the default in the same step', () => {
    given([]).when(register('rt-1', 'Prod GKE', 'gke', true)).then([registered('rt-1', 'Prod GKE'), defaultSet('rt-1', null)]);
  });

  it('"set as default" at creation clears the previous default of the category in the same event', () => {
    given([registered('rt-1', 'A'), defaultSet('rt-1', null)])
      .when(register('rt-2', 'B', 'gke', true))
      .then([registered('rt-2', 'B'), defaultSet('rt-2', 'rt-1')]);
  });

  it('a name is unique per workspace and category, ignoring case and spaces', () => {
    given([registered('rt-1', 'Prod GKE')]).when(register('rt-2', '  prod   gke ')).thenThrows(RuntimeError, { code: RuntimeErrorCode.NameTaken });
  });

  it('the same name in another category is fine', () => {
    const docker = register('rt-2', 'Prod GKE', 'docker');
    given([registered('rt-1', 'Prod GKE')]).when(docker).then([registered('rt-2', 'Prod GKE', 'python_execution')]);
  });

  it('a deleted runtime frees its name but not its id', () => {
    const deleted: RuntimeEvent = {
      type: 'RuntimeDeleted',
      data: { ...scope, runtimeId: 'rt-1', name: 'A', category: 'data_ingestion', wasDefault: false, deletedBy: 'usr_admin', deletedAt: context.at },
    };
    given([registered('rt-1', 'A'), deleted]).when(register('rt-2', 'A')).then([registered('rt-2', 'A')]);
    given([registered('rt-1', 'A'), deleted]).when(register('rt-1', 'Other')).thenThrows(RuntimeError, { code: RuntimeErrorCode.Exists });
  });

  it('set default: one per category, the previous one cleared in the same event; setting it again changes nothing', () => {
    given([registered('rt-1', 'A'), registered('rt-2', 'B'), defaultSet('rt-1', null)])
      .when(on({ type: 'SetDefaultRuntime', runtimeId: 'rt-2' }))
      .then([defaultSet('rt-2', 'rt-1')]);
    given([registered('rt-1', 'A'), defaultSet('rt-1', null)]).when(on({ type: 'SetDefaultRuntime', runtimeId: 'rt-1' })).then([]);
  });

  it('defaults of different categories are independent', () => {
    given([registered('rt-1', 'A'), defaultSet('rt-1', null), registered('rt-9', 'Py', 'python_execution')])
      .when(on({ type: 'SetDefaultRuntime', runtimeId: 'rt-9' }))
      .then([defaultSet('rt-9', null, 'python_execution')]);
  });

  it('unknown runtimes are NOT_FOUND for every command on one', () => {
    for (const command of [
      { type: 'SetDefaultRuntime', runtimeId: 'rt-x' },
      { type: 'DeleteRuntime', runtimeId: 'rt-x' },
      { type: 'ReconfigureRuntime', runtimeId: 'rt-x', name: 'B' },
      { type: 'RequestRuntimeTest', runtimeId: 'rt-x', testId: 't-1' },
    ] as CatalogueRequest[]) {
      given([registered('rt-1', 'A')]).when(on(command)).thenThrows(RuntimeError, { code: RuntimeErrorCode.NotFound });
    }
  });

  it('reconfigure: merges fields, replaces only the secrets given, refuses a taken name, no-op when nothing changes', () => {
    given([registered('rt-1', 'A')])
      .when(on({ type: 'ReconfigureRuntime', runtimeId: 'rt-1', name: 'A2', config: { namespace: 'jobs' }, secrets: { token: { ref: 'sec_new', hint: '••••wxyz' } } }))
      .then([
        {
          type: 'RuntimeReconfigured',
          data: {
            ...scope,
            runtimeId: 'rt-1',
            name: 'A2',
            previousName: 'A',
            config: { server: 'https://k8s.example.com', namespace: 'jobs' },
            secrets: { token: { ref: 'sec_new', hint: '••••wxyz' } },
            changedSecrets: ['token'],
            reconfiguredBy: 'usr_admin',
            reconfiguredAt: context.at,
          },
        },
      ]);
    given([registered('rt-1', 'A'), registered('rt-2', 'B')]).when(on({ type: 'ReconfigureRuntime', runtimeId: 'rt-1', name: 'b' })).thenThrows(RuntimeError, { code: RuntimeErrorCode.NameTaken });
    given([registered('rt-1', 'A')]).when(on({ type: 'ReconfigureRuntime', runtimeId: 'rt-1', name: 'A', config: { namespace: 'steward' } })).then([]);
  });

  it('delete says whether it was the default; the category then has none', () => {
    const state = [registered('rt-1', 'A'), defaultSet('rt-1', null)];
    given(state)
      .when(on({ type: 'DeleteRuntime', runtimeId: 'rt-1' }))
      .then([{ type: 'RuntimeDeleted', data: { ...scope, runtimeId: 'rt-1', name: 'A', category: 'data_ingestion', wasDefault: true, deletedBy: 'usr_admin', deletedAt: context.at } }]);
    const after = [...state, { type: 'RuntimeDeleted', data: { ...scope, runtimeId: 'rt-1', name: 'A', category: 'data_ingestion', wasDefault: true, deletedBy: 'usr_admin', deletedAt: context.at } } as RuntimeEvent];
    given([...after, registered('rt-2', 'B')]).when(on({ type: 'SetDefaultRuntime', runtimeId: 'rt-2' })).then([defaultSet('rt-2', null)]);
  });

  it('a test outcome is recorded once; one for a deleted runtime or an unknown test is not', () => {
    const requested: RuntimeEvent = { type: 'RuntimeTestRequested', data: { ...scope, runtimeId: 'rt-1', testId: 't-1', requestedBy: 'usr_admin', requestedAt: context.at } };
    const result = on({
      type: 'RecordRuntimeTestResult',
      runtimeId: 'rt-1',
      testId: 't-1',
      outcome: 'failed',
      failure: 'unauthorized',
      probe: 'GET https://k8s.example.com/version',
      statusCode: 401,
      latencyMs: 12,
      attempts: 1,
      message: 'the server refused the credentials (HTTP 401)',
      testedAt: context.at,
    });
    const failed: RuntimeEvent = {
      type: 'RuntimeTestFailed',
      data: { ...scope, runtimeId: 'rt-1', testId: 't-1', probe: 'GET https://k8s.example.com/version', statusCode: 401, latencyMs: 12, attempts: 1, message: 'the server refused the credentials (HTTP 401)', testedAt: context.at, failure: 'unauthorized' },
    };
    given([registered('rt-1', 'A'), requested]).when(result).then([failed]);
    given([registered('rt-1', 'A'), requested, failed]).when(result).then([]);
    given([registered('rt-1', 'A')]).when(result).thenThrows(RuntimeError, { code: RuntimeErrorCode.NotFound });
    given([registered('rt-1', 'A'), requested]).when(on({ type: 'RequestRuntimeTest', runtimeId: 'rt-1', testId: 't-1' })).thenThrows(RuntimeError, { code: RuntimeErrorCode.Exists });
  });
});
