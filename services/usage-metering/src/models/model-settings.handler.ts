import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { UsageCommandAnswer } from '@steward/contracts';
import type { NatsNames } from '@steward/messaging';
import { ModelSettingsCommandService } from './model-settings.command-service';

/** Model settings over NATS request/reply: `<prefix>cmd.usage.<Type>`; refusals answer ModelSettingsErrorBody. */
export function modelSettingsHandler(names: NatsNames): Type<unknown> {
  @Controller()
  class ModelSettingsHandler {
    constructor(@Inject(ModelSettingsCommandService) private readonly service: ModelSettingsCommandService) {}

    @MessagePattern(names.commandSubject('usage', 'SetModelPricing'))
    setPricing(@Payload() raw: unknown): Promise<UsageCommandAnswer> {
      return this.service.run('SetModelPricing', raw);
    }

    @MessagePattern(names.commandSubject('usage', 'SetModelApiKey'))
    setApiKey(@Payload() raw: unknown): Promise<UsageCommandAnswer> {
      return this.service.run('SetModelApiKey', raw);
    }

    @MessagePattern(names.commandSubject('usage', 'ClearModelApiKey'))
    clearApiKey(@Payload() raw: unknown): Promise<UsageCommandAnswer> {
      return this.service.run('ClearModelApiKey', raw);
    }

    @MessagePattern(names.commandSubject('usage', 'ConfigureModel'))
    configure(@Payload() raw: unknown): Promise<UsageCommandAnswer> {
      return this.service.run('ConfigureModel', raw);
    }
  }
  return ModelSettingsHandler;
}
