import type { TeamEventOf } from '@steward/contracts';
import type { Aggregate } from '../shared/command';

/** One owner seat: `userId` holds the owner role in `workspaceId`. */
export interface OwnerSeat {
  readonly workspaceId: string;
  readonly userId: string;
}

export type OrganizationState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly organizationId: string;
      readonly name: string;
      readonly ownerUserId: string;
      readonly owners: readonly OwnerSeat[];
    };

export const initialOrganizationState: OrganizationState = { exists: false };

export type OrganizationEvent = TeamEventOf<'OrganizationCreated' | 'OrganizationOwnerAdded' | 'OrganizationOwnerRemoved'>;

export const ORGANIZATION_EVENT_TYPES: ReadonlySet<string> = new Set<OrganizationEvent['type']>([
  'OrganizationCreated',
  'OrganizationOwnerAdded',
  'OrganizationOwnerRemoved',
]);

export function evolveOrganization(state: OrganizationState, event: OrganizationEvent): OrganizationState {
  switch (event.type) {
    case 'OrganizationCreated':
      return {
        exists: true,
        organizationId: event.data.organizationId,
        name: event.data.name,
        ownerUserId: event.data.ownerUserId,
        owners: [{ workspaceId: event.data.firstWorkspaceId, userId: event.data.ownerUserId }],
      };
    case 'OrganizationOwnerAdded': {
      if (!state.exists) return state;
      const { workspaceId, userId } = event.data;
      if (state.owners.some((seat) => seat.workspaceId === workspaceId && seat.userId === userId)) return state;
      return { ...state, owners: [...state.owners, { workspaceId, userId }] };
    }
    case 'OrganizationOwnerRemoved': {
      if (!state.exists) return state;
      const { workspaceId, userId } = event.data;
      return { ...state, owners: state.owners.filter((seat) => !(seat.workspaceId === workspaceId && seat.userId === userId)) };
    }
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

/** An organization owner: holds the owner role in at least one of its workspaces. */
export function isOrganizationOwner(state: OrganizationState, userId: string): boolean {
  return state.exists && state.owners.some((seat) => seat.userId === userId);
}

/** The owners left once `seat` is given up. */
export function ownersWithout(state: OrganizationState, seat: OwnerSeat): string[] {
  if (!state.exists) return [];
  const left = state.owners.filter((s) => !(s.workspaceId === seat.workspaceId && s.userId === seat.userId));
  return [...new Set(left.map((s) => s.userId))];
}

export const organizationAggregate: Aggregate<OrganizationState, OrganizationEvent> = {
  initial: initialOrganizationState,
  types: ORGANIZATION_EVENT_TYPES,
  evolve: evolveOrganization,
};
