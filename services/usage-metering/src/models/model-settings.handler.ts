import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import type { UsageCommandAnswer, UsageCommandType } from '@steward/contracts';
import type { NatsNames } from '@steward/messaging';
import { ModelSettingsCommandService, toModelSettingsError } from './model-settings.command-service';

/** Model settings over NATS request/reply: `<prefix>cmd.usage.<Type>`. Only translates. */
export function modelSettingsHandler(names: NatsNames): Type<unknown> {
  @Controller()
  class ModelSettingsHandler {
    constructor(@Inject(ModelSettingsCommandService) private readonly service: ModelSettingsCommandService) {}

    @MessagePattern(names.commandSubject('usage', 'SetModelPricing'))
    setPricing(@Payload() raw: unknown): Promise<UsageCommandAnswer> {
      return this.run('SetModelPricing', raw);
    }

    @MessagePattern(names.commandSubject('usage', 'SetModelApiKey'))
    setApiKey(@Payload() raw: unknown): Promise<UsageCommandAnswer> {
      return this.run('SetModelApiKey', raw);
    }

    @MessagePattern(names.commandSubject('usage', 'ClearModelApiKey'))
    clearApiKey(@Payload() raw: unknown): Promise<UsageCommandAnswer> {
      return this.run('ClearModelApiKey', raw);
    }

    private async run(type: UsageCommandType, raw: unknown): Promise<UsageCommandAnswer> {
      try {
        return await this.service.run(type, raw);
      } catch (error) {
        throw new RpcException(toModelSettingsError(error).toBody());
      }
    }
  }
  return ModelSettingsHandler;
}
