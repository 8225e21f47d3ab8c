import { Module, type DynamicModule, type Type } from '@nestjs/common';

export interface BudgetsModuleOptions {
  /** The NATS handlers of the budgets context's commands. */
  readonly controllers: ReadonlyArray<Type<unknown>>;
  readonly providers?: DynamicModule['providers'];
}

@Module({})
export class BudgetsModule {
  static register(options: BudgetsModuleOptions): DynamicModule {
    return { module: BudgetsModule, controllers: [...options.controllers], providers: options.providers ?? [] };
  }
}
