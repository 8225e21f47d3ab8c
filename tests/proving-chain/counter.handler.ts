import { Controller, Module, type DynamicModule } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { CommandEnvelopeSchema, eventIdFor } from '@steward/contracts';
import { EventStoreError, type EventStore, type ExpectedRevision } from '@steward/event-store';
import { withSpan } from '@steward/observability';
import { CounterRuleError, decide, evolve, initialCounterState, type CounterCommand } from './counter.decider';
import { counterStream, type CounterEvent } from './counter.events';

const MAX_ATTEMPTS = 3;

/**
 * NATS command handler, as a service writes one: parse the envelope, load the
 * stream, decide, append at the expected revision; a conflict is retried by
 * reloading (safe: the decision is made again on fresh state).
 */
export function counterHandlerModule(store: EventStore, subject: string): DynamicModule {
  @Controller()
  class CounterHandler {
    @MessagePattern(subject)
    async handle(@Payload() raw: unknown): Promise<{ revision: string }> {
      const envelope = CommandEnvelopeSchema.parse(raw);
      const command = { type: envelope.type, ...(envelope.payload as object) } as CounterCommand;
      return withSpan('command.handle', { 'steward.command.type': envelope.type }, async () => {
        for (let attempt = 1; ; attempt++) {
          const stream = counterStream(command.counterId);
          const history = await store.readStream(stream);
          const state = history.reduce((s, e) => evolve(s, { type: e.type, data: e.data } as CounterEvent), initialCounterState);
          const expected: ExpectedRevision = history.length ? history[history.length - 1]!.streamRevision : 'no_stream';
          let events: CounterEvent[];
          try {
            events = decide(command, state);
          } catch (error) {
            if (error instanceof CounterRuleError) throw new RpcException({ code: error.code, message: error.message });
            throw error;
          }
          try {
            const result = await store.append(
              stream,
              events.map((event, index) => ({
                // Derived from the command id: a redelivered command appends nothing new.
                eventId: eventIdFor(envelope.commandId, index),
                type: event.type,
                version: 1,
                data: event.data,
                metadata: {
                  correlationId: envelope.correlationId ?? envelope.commandId,
                  causationId: envelope.commandId,
                  actor: envelope.actor,
                  ...(envelope.traceContext ? { traceContext: envelope.traceContext } : {}),
                  occurredAt: envelope.issuedAt,
                },
              })),
              { expectedRevision: expected },
            );
            return { revision: result.nextExpectedRevision.toString() };
          } catch (error) {
            if (EventStoreError.isConflict(error) && attempt < MAX_ATTEMPTS) continue;
            if (error instanceof EventStoreError) throw new RpcException({ code: error.code, message: error.message });
            throw error;
          }
        }
      });
    }
  }

  @Module({ controllers: [CounterHandler] })
  class CounterHandlerModule {}

  return { module: CounterHandlerModule };
}

