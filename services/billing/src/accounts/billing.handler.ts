import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { BillingCommandAnswer, BillingCommandType } from '@steward/contracts';
import type { NatsNames } from '@steward/messaging';
import { BillingCommandRunner } from './billing-command.runner';

/** The billing account's commands over NATS request/reply (`<prefix>cmd.billing.<Type>`): translate and hand over. */
export function billingAccountHandler(names: NatsNames): Type<unknown> {
  const subject = (type: BillingCommandType) => names.commandSubject('billing', type);

  @Controller()
  class BillingAccountHandler {
    constructor(@Inject(BillingCommandRunner) private readonly runner: BillingCommandRunner) {}

    @MessagePattern(subject('ChangePlan'))
    changePlan(@Payload() raw: unknown): Promise<BillingCommandAnswer> {
      return this.runner.run('ChangePlan', raw);
    }

    @MessagePattern(subject('CancelPlanChange'))
    cancelPlanChange(@Payload() raw: unknown): Promise<BillingCommandAnswer> {
      return this.runner.run('CancelPlanChange', raw);
    }

    @MessagePattern(subject('GrantCredits'))
    grantCredits(@Payload() raw: unknown): Promise<BillingCommandAnswer> {
      return this.runner.run('GrantCredits', raw);
    }

    @MessagePattern(subject('AdjustCredits'))
    adjustCredits(@Payload() raw: unknown): Promise<BillingCommandAnswer> {
      return this.runner.run('AdjustCredits', raw);
    }

    @MessagePattern(subject('ConfigureBilling'))
    configure(@Payload() raw: unknown): Promise<BillingCommandAnswer> {
      return this.runner.run('ConfigureBilling', raw);
    }
  }
  return BillingAccountHandler;
}
