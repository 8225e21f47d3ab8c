import type { NotificationEventOf, NotificationMessageEvent } from '@steward/contracts';

/** One message's history (stream `notifications-message-<id>`) as the worker and a resend read it. */
export interface MessageState {
  readonly queued: NotificationEventOf<'NotificationMessageQueued'>['data'] | null;
  /** The current round: 0 for the first sending, n after the n-th resend. */
  readonly round: number;
  /** Attempts made in the current round. */
  readonly attempts: number;
  readonly delivered: boolean;
  readonly dead: boolean;
}

export const messageFold = {
  initialState: { queued: null, round: 0, attempts: 0, delivered: false, dead: false } as MessageState,
  evolve(state: MessageState, event: NotificationMessageEvent): MessageState {
    switch (event.type) {
      case 'NotificationMessageQueued':
        return { ...state, queued: event.data };
      case 'NotificationResendRequested':
        return { ...state, round: event.data.round, attempts: 0, delivered: false, dead: false };
      case 'NotificationDeliveryAttempted':
        if (event.data.round !== state.round) return state;
        return { ...state, attempts: Math.max(state.attempts, event.data.attempt), delivered: state.delivered || event.data.outcome === 'delivered' };
      case 'NotificationDeadLettered':
        return event.data.round === state.round ? { ...state, dead: true } : state;
      default:
        return state;
    }
  },
};
