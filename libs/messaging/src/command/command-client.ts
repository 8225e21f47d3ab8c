import { headers as natsHeaders } from '@nats-io/nats-core';
import type { ClientNats } from '@nestjs/microservices';
import { CommandEnvelopeSchema, type CommandEnvelope } from '@steward/contracts';
import { TimeoutError, firstValueFrom, timeout } from 'rxjs';
import { MessagingError, MessagingErrorCode } from '../messaging.error';
import { traceContextFromActive } from '@steward/observability';
import { injectTraceHeaders } from '../trace-headers';
import { nestMicroservices } from './nest-microservices.loader';

export interface CommandClientOptions {
  readonly servers: string | readonly string[];
  /** The connection name shown by the server. */
  readonly name: string;
  /** Used when `send` is given no timeout. Default 10 s. */
  readonly defaultTimeoutMs?: number;
}

export interface SendCommandOptions {
  readonly timeoutMs?: number;
}

/**
 * Sends commands to the service that owns them (NATS request/reply through
 * Nest's NATS transport) and waits for the answer. The envelope carries the
 * caller's trace context (its own, else the active one), in the envelope and
 * in W3C headers. Failures are MessagingErrors: NoResponders (nobody listens),
 * Timeout (no answer in time; the command may still have been applied, resend
 * it with the same commandId), CommandFailed (the handler answered with an error).
 */
export class CommandClient {
  private readonly client: ClientNats;
  private readonly defaultTimeoutMs: number;

  constructor(options: CommandClientOptions) {
    const { ClientNats } = nestMicroservices();
    this.client = new ClientNats({
      servers: typeof options.servers === 'string' ? options.servers.split(',').map((s) => s.trim()) : [...options.servers],
      name: options.name,
      maxReconnectAttempts: -1,
    });
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 10_000;
  }

  async connect(): Promise<void> {
    try {
      await this.client.connect();
    } catch (error) {
      throw new MessagingError(MessagingErrorCode.Unavailable, `cannot connect to NATS: ${String(error)}`, {}, { cause: error });
    }
  }

  async send<TResult>(pattern: string, envelope: CommandEnvelope, options: SendCommandOptions = {}): Promise<TResult> {
    const traceContext = envelope.traceContext ?? traceContextFromActive();
    const parsed = CommandEnvelopeSchema.safeParse(traceContext ? { ...envelope, traceContext } : envelope);
    if (!parsed.success) {
      const where = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
      throw new MessagingError(MessagingErrorCode.InvalidArgument, `not a command envelope: ${where.join('; ')}`);
    }
    const headers = natsHeaders();
    injectTraceHeaders(headers, traceContext);
    headers.set('Steward-Command-Id', parsed.data.commandId);
    headers.set('Steward-Command-Type', parsed.data.type);
    const { NatsRecordBuilder } = nestMicroservices();
    const record = new NatsRecordBuilder(parsed.data).setHeaders(headers).build();
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    await this.connect();
    try {
      return await firstValueFrom(this.client.send<TResult>(pattern, record).pipe(timeout({ first: timeoutMs })));
    } catch (error) {
      throw toMessagingError(error, pattern, parsed.data, timeoutMs);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function toMessagingError(error: unknown, pattern: string, envelope: CommandEnvelope, timeoutMs: number): MessagingError {
  const details = { pattern, commandId: envelope.commandId, type: envelope.type };
  if (error instanceof TimeoutError) {
    return new MessagingError(
      MessagingErrorCode.Timeout,
      `${envelope.type} got no answer on ${pattern} within ${timeoutMs} ms`,
      details,
      { cause: error },
    );
  }
  if (error instanceof Error && /^Empty response|no responders/i.test(error.message)) {
    return new MessagingError(MessagingErrorCode.NoResponders, `nobody answers ${envelope.type} on ${pattern}`, details, {
      cause: error,
    });
  }
  if (error instanceof Error && /connection (closed|lost)/i.test(error.message)) {
    return new MessagingError(MessagingErrorCode.Unavailable, `NATS connection lost while sending ${envelope.type}`, details, {
      cause: error,
    });
  }
  const message =
    typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string'
      ? error.message
      : String(error);
  return new MessagingError(MessagingErrorCode.CommandFailed, `${envelope.type} failed: ${message}`, { ...details, error }, {
    cause: error,
  });
}
