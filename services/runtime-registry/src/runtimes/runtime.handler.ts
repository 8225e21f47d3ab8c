import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { RuntimeCommandAnswer, RuntimeCommandType } from '@steward/contracts';
import type { NatsNames } from '@steward/messaging';
import { RuntimeCommandRunner } from './runtime-command.runner';

/** The runtime context's commands over NATS request/reply (`<prefix>cmd.runtime.<Type>`): translate and hand over. */
export function runtimeHandler(names: NatsNames): Type<unknown> {
  const subject = (type: RuntimeCommandType) => names.commandSubject('runtime', type);

  @Controller()
  class RuntimeHandler {
    constructor(@Inject(RuntimeCommandRunner) private readonly runner: RuntimeCommandRunner) {}

    @MessagePattern(subject('RegisterRuntime'))
    register(@Payload() raw: unknown): Promise<RuntimeCommandAnswer> {
      return this.runner.run('RegisterRuntime', raw);
    }

    @MessagePattern(subject('ReconfigureRuntime'))
    reconfigure(@Payload() raw: unknown): Promise<RuntimeCommandAnswer> {
      return this.runner.run('ReconfigureRuntime', raw);
    }

    @MessagePattern(subject('SetDefaultRuntime'))
    setDefault(@Payload() raw: unknown): Promise<RuntimeCommandAnswer> {
      return this.runner.run('SetDefaultRuntime', raw);
    }

    @MessagePattern(subject('RequestRuntimeTest'))
    requestTest(@Payload() raw: unknown): Promise<RuntimeCommandAnswer> {
      return this.runner.run('RequestRuntimeTest', raw);
    }

    @MessagePattern(subject('DeleteRuntime'))
    delete(@Payload() raw: unknown): Promise<RuntimeCommandAnswer> {
      return this.runner.run('DeleteRuntime', raw);
    }
  }
  return RuntimeHandler;
}
