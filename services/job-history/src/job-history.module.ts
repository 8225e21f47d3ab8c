import { Module, type DynamicModule } from '@nestjs/common';
import type { NatsNames } from '@steward/messaging';
import type { JobCommandRunner } from './jobs/job-command.runner';
import { JobCommandRunner as RunnerToken } from './jobs/job-command.runner';
import { jobHandler } from './jobs/job.handler';

export interface JobHistoryModuleOptions {
  /** Subjects: `names.commandSubject('jobs', <CommandType>)`. */
  readonly names: NatsNames;
  readonly runner: JobCommandRunner;
}

@Module({})
export class JobHistoryModule {
  /** The job command handlers, answering on the subjects of `names`. */
  static register(options: JobHistoryModuleOptions): DynamicModule {
    return {
      module: JobHistoryModule,
      controllers: [jobHandler(options.names)],
      providers: [{ provide: RunnerToken, useValue: options.runner }],
    };
  }
}
