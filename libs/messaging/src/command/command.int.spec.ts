import { randomUUID } from 'node:crypto';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, MessagePattern, NatsContext, Payload, RpcException } from '@nestjs/microservices';
import { CommandEnvelopeSchema, type CommandEnvelope } from '@steward/contracts';
import { initTelemetry, resetTelemetryForTests, withSpan } from '@steward/observability';
import { type TestEnv, createTestEnv } from '@steward/testing';
import { MessagingError, MessagingErrorCode } from '../messaging.error';
import { natsNames, type NatsNames } from '../nats-names';
import { CommandClient } from './command-client';
import { commandTransportOptions } from './command-transport';

interface Answer {
  readonly commandId: string;
  readonly total: number;
  readonly traceparent: string | undefined;
  readonly envelopeTraceparent: string | undefined;
}

/** A tiny command handler, as a service would write it: parse, decide, answer. */
function counterModule(names: NatsNames) {
  let total = 0;

  @Controller()
  class CounterHandler {
    @MessagePattern(names.commandSubject('sample', 'IncrementCounter'))
    increment(@Payload() raw: unknown, @Ctx() context: NatsContext): Answer {
      const envelope = CommandEnvelopeSchema.parse(raw);
      total += (envelope.payload as { by: number }).by;
      const headers = context.getHeaders() as { get(key: string): string } | undefined;
      return {
        commandId: envelope.commandId,
        total,
        traceparent: headers?.get('traceparent') || undefined,
        envelopeTraceparent: envelope.traceContext?.traceparent,
      };
    }

    @MessagePattern(names.commandSubject('sample', 'RejectCounter'))
    reject(): never {
      throw new RpcException({ code: 'WRONG_EXPECTED_REVISION', message: 'counter-1 moved on: expected 3, found 4' });
    }

    @MessagePattern(names.commandSubject('sample', 'SlowCounter'))
    async slow(): Promise<string> {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return 'late';
    }
  }

  @Module({ controllers: [CounterHandler] })
  class CounterModule {}

  return CounterModule;
}

function command(type: string, payload: unknown): CommandEnvelope {
  return {
    commandId: randomUUID(),
    type,
    actor: { type: 'user', id: 'user-1' },
    workspaceId: 'ws-1',
    issuedAt: new Date().toISOString(),
    payload,
  };
}

describe('commands over NATS request/reply', () => {
  let env: TestEnv;
  let names: NatsNames;
  let app: INestMicroservice;
  let client: CommandClient;

  beforeAll(async () => {
    initTelemetry({ serviceName: 'command-test', exporters: { prometheus: false } });
    env = await createTestEnv();
    names = natsNames(env.natsPrefix);
    app = await NestFactory.createMicroservice(counterModule(names), {
      ...commandTransportOptions({ servers: env.natsUrl, queue: 'sample-service', gracePeriodMs: 100 }),
      logger: false,
    });
    await app.listen();
    client = new CommandClient({ servers: env.natsUrl, name: 'command-test-client' });
  });

  afterAll(async () => {
    await client?.close();
    await app?.close();
    await env?.dispose();
    await resetTelemetryForTests();
  });

  it('sends a command and gets the handler answer, with the trace context carried along', async () => {
    const first = command('IncrementCounter', { by: 2 });
    const { answer, traceId } = await withSpan('http.request', {}, async (span) => ({
      answer: await client.send<Answer>(names.commandSubject('sample', 'IncrementCounter'), first, { timeoutMs: 2_000 }),
      traceId: span.spanContext().traceId,
    }));
    expect(answer.commandId).toBe(first.commandId);
    expect(answer.total).toBe(2);
    expect(answer.traceparent?.split('-')[1]).toBe(traceId);
    expect(answer.envelopeTraceparent).toBe(answer.traceparent);

    const second = await client.send<Answer>(names.commandSubject('sample', 'IncrementCounter'), command('IncrementCounter', { by: 3 }));
    expect(second.total).toBe(5);
  });

  it("keeps the envelope's own trace context", async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const answer = await client.send<Answer>(names.commandSubject('sample', 'IncrementCounter'), {
      ...command('IncrementCounter', { by: 1 }),
      traceContext: { traceparent },
    });
    expect(answer.traceparent).toBe(traceparent);
  });

  it("maps the handler's error to CommandFailed with what the handler sent", async () => {
    const error = await client
      .send(names.commandSubject('sample', 'RejectCounter'), command('RejectCounter', {}), { timeoutMs: 2_000 })
      .catch((caught: unknown) => caught);
    expect(MessagingError.is(error, MessagingErrorCode.CommandFailed)).toBe(true);
    expect((error as MessagingError).details.error).toEqual({
      code: 'WRONG_EXPECTED_REVISION',
      message: 'counter-1 moved on: expected 3, found 4',
    });
  });

  it('says NoResponders when nobody handles the command', async () => {
    const started = Date.now();
    const error = await client
      .send(names.commandSubject('sample', 'NobodyListens'), command('NobodyListens', {}), { timeoutMs: 5_000 })
      .catch((caught: unknown) => caught);
    expect(MessagingError.is(error, MessagingErrorCode.NoResponders)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('says Timeout when the handler does not answer in time', async () => {
    const error = await client
      .send(names.commandSubject('sample', 'SlowCounter'), command('SlowCounter', {}), { timeoutMs: 200 })
      .catch((caught: unknown) => caught);
    expect(MessagingError.is(error, MessagingErrorCode.Timeout)).toBe(true);
  });

  it('refuses an envelope that is not one, without sending it', async () => {
    const error = await client
      .send(names.commandSubject('sample', 'IncrementCounter'), { ...command('IncrementCounter', {}), type: 'not a type' })
      .catch((caught: unknown) => caught);
    expect(MessagingError.is(error, MessagingErrorCode.InvalidArgument)).toBe(true);
  });
});
