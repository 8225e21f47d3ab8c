import type { Role, TeamEventOf } from '@steward/contracts';
import type { Aggregate } from '../shared/command';

export type InvitationState =
  | { readonly exists: false }
  | {
      readonly exists: true;
      readonly invitationId: string;
      readonly organizationId: string;
      readonly workspaceId: string;
      readonly email: string;
      readonly role: Role;
      readonly tokenHash: string;
      readonly expiresAt: string;
      readonly status: 'pending' | 'accepted' | 'revoked';
    };

export const initialInvitationState: InvitationState = { exists: false };

export type InvitationEvent = TeamEventOf<'MemberInvited' | 'InvitationAccepted' | 'InvitationRevoked'>;

export const INVITATION_EVENT_TYPES: ReadonlySet<string> = new Set<InvitationEvent['type']>([
  'MemberInvited',
  'InvitationAccepted',
  'InvitationRevoked',
]);

export function evolveInvitation(state: InvitationState, event: InvitationEvent): InvitationState {
  switch (event.type) {
    case 'MemberInvited': {
      const { invitationId, organizationId, workspaceId, email, role, tokenHash, expiresAt } = event.data;
      return { exists: true, invitationId, organizationId, workspaceId, email, role, tokenHash, expiresAt, status: 'pending' };
    }
    case 'InvitationAccepted':
      return state.exists ? { ...state, status: 'accepted' } : state;
    case 'InvitationRevoked':
      return state.exists ? { ...state, status: 'revoked' } : state;
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

export const invitationAggregate: Aggregate<InvitationState, InvitationEvent> = {
  initial: initialInvitationState,
  types: INVITATION_EVENT_TYPES,
  evolve: evolveInvitation,
};
