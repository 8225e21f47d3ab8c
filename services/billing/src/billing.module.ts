import { Module, type DynamicModule, type Type } from '@nestjs/common';

export interface BillingModuleOptions {
  /** The NATS handlers of the billing context's commands (accounts and credits here; invoices add theirs). */
  readonly controllers: ReadonlyArray<Type<unknown>>;
  readonly providers?: DynamicModule['providers'];
}

@Module({})
export class BillingModule {
  static register(options: BillingModuleOptions): DynamicModule {
    return { module: BillingModule, controllers: [...options.controllers], providers: options.providers ?? [] };
  }
}
