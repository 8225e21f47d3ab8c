import {
  runtimeNameKey,
  type RuntimeCategory,
  type RuntimeConfig,
  type RuntimeEvent,
  type RuntimeProviderId,
  type SecretReference,
} from '@steward/contracts';

export interface RuntimeEntry {
  readonly runtimeId: string;
  readonly name: string;
  readonly category: RuntimeCategory;
  readonly provider: RuntimeProviderId;
  readonly config: RuntimeConfig;
  readonly secrets: Readonly<Record<string, SecretReference>>;
}

/** A workspace's runtime catalogue: the aggregate behind unique names and one default per category. */
export interface RuntimeCatalogueState {
  readonly organizationId: string | undefined;
  readonly runtimes: Readonly<Record<string, RuntimeEntry>>;
  /** Ids ever used in this workspace (a deleted runtime's id is not reused). */
  readonly usedIds: ReadonlySet<string>;
  readonly defaults: Readonly<Partial<Record<RuntimeCategory, string>>>;
  /** Tests requested and whether their outcome is recorded. */
  readonly tests: Readonly<Record<string, { readonly runtimeId: string; readonly done: boolean }>>;
}

export const initialCatalogue: RuntimeCatalogueState = { organizationId: undefined, runtimes: {}, usedIds: new Set(), defaults: {}, tests: {} };

export function evolveCatalogue(state: RuntimeCatalogueState, event: RuntimeEvent): RuntimeCatalogueState {
  switch (event.type) {
    case 'RuntimeRegistered': {
      const { runtimeId, name, category, provider, config, secrets, organizationId } = event.data;
      return {
        ...state,
        organizationId,
        runtimes: { ...state.runtimes, [runtimeId]: { runtimeId, name, category, provider, config, secrets } },
        usedIds: new Set([...state.usedIds, runtimeId]),
      };
    }
    case 'RuntimeReconfigured': {
      const current = state.runtimes[event.data.runtimeId];
      if (!current) return state;
      const { name, config, secrets } = event.data;
      return { ...state, runtimes: { ...state.runtimes, [current.runtimeId]: { ...current, name, config, secrets } } };
    }
    case 'RuntimeDefaultSet':
      return { ...state, defaults: { ...state.defaults, [event.data.category]: event.data.runtimeId } };
    case 'RuntimeTestRequested':
      return { ...state, tests: { ...state.tests, [event.data.testId]: { runtimeId: event.data.runtimeId, done: false } } };
    case 'RuntimeTestSucceeded':
    case 'RuntimeTestFailed':
      return { ...state, tests: { ...state.tests, [event.data.testId]: { runtimeId: event.data.runtimeId, done: true } } };
    case 'RuntimeDeleted': {
      const { [event.data.runtimeId]: _gone, ...runtimes } = state.runtimes;
      const defaults = { ...state.defaults };
      if (defaults[event.data.category] === event.data.runtimeId) delete defaults[event.data.category];
      return { ...state, runtimes, defaults };
    }
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

/** The runtime of the catalogue holding this name in this category, if any. */
export function runtimeNamed(state: RuntimeCatalogueState, category: RuntimeCategory, name: string): RuntimeEntry | undefined {
  const key = runtimeNameKey(name);
  return Object.values(state.runtimes).find((runtime) => runtime.category === category && runtimeNameKey(runtime.name) === key);
}
