import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { JobCommandAnswer } from '@steward/contracts';
import type { NatsNames } from '@steward/messaging';
import { JobCommandRunner } from './job-command.runner';

/** The jobs context's commands over NATS request/reply (`<prefix>cmd.jobs.<Type>`): internal agents and the gateway. */
export function jobHandler(names: NatsNames): Type<unknown> {
  @Controller()
  class JobHandler {
    constructor(@Inject(JobCommandRunner) private readonly runner: JobCommandRunner) {}

    @MessagePattern(names.commandSubject('jobs', 'StartJob'))
    start(@Payload() raw: unknown): Promise<JobCommandAnswer> {
      return this.runner.run('StartJob', raw);
    }

    @MessagePattern(names.commandSubject('jobs', 'RecordJobSteps'))
    recordSteps(@Payload() raw: unknown): Promise<JobCommandAnswer> {
      return this.runner.run('RecordJobSteps', raw);
    }

    @MessagePattern(names.commandSubject('jobs', 'FinishJob'))
    finish(@Payload() raw: unknown): Promise<JobCommandAnswer> {
      return this.runner.run('FinishJob', raw);
    }
  }
  return JobHandler;
}
