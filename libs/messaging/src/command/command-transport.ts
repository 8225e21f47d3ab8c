import type { NatsOptions } from '@nestjs/microservices';
import { nestMicroservices } from './nest-microservices.loader';

export interface CommandTransportOptions {
  /** One URL, a comma-separated list, or a list. */
  readonly servers: string | readonly string[];
  /** The queue group: replicas of one service share the commands instead of each getting every one. */
  readonly queue: string;
  /** The connection name shown by the server. Default: the queue. */
  readonly name?: string;
  /** On close, stop taking commands and let the running ones answer for this long. Default 2 s. */
  readonly gracePeriodMs?: number;
}

/**
 * The options of a Nest microservice answering commands over NATS
 * request/reply: `NestFactory.createMicroservice(AppModule, commandTransportOptions({ … }))`
 * or `app.connectMicroservice(commandTransportOptions({ … }))`.
 */
export function commandTransportOptions(options: CommandTransportOptions): NatsOptions {
  const { Transport } = nestMicroservices();
  return {
    transport: Transport.NATS,
    options: {
      servers: typeof options.servers === 'string' ? options.servers.split(',').map((s) => s.trim()) : [...options.servers],
      queue: options.queue,
      name: options.name ?? options.queue,
      maxReconnectAttempts: -1,
      gracefulShutdown: true,
      gracePeriod: options.gracePeriodMs ?? 2_000,
    },
  };
}
