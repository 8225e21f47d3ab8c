import { Controller, Inject, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { Fold } from '@steward/commands';
import { TeamStreams, type TeamCommandAnswer, type TeamEvent } from '@steward/contracts';
import type { NatsNames } from '@steward/messaging';
import { TeamCommandRunner, type CommandPlan, type Loaded } from '../shared/team-command-runner';
import { authorizeInScope, loadWorkspaceScope, scopeStreams, type WorkspaceScope } from '../shared/workspace-scope';
import { apiKeyDecider, evolveApiKey, initialApiKeyState, type ApiKeyCommand, type ApiKeyState } from './api-key.decider';

/** A key's stream folded alone. */
const apiKeyStream: Fold<ApiKeyState, TeamEvent> = { initialState: initialApiKeyState, evolve: evolveApiKey };

interface ApiKeyLoaded {
  readonly apiKey: Loaded<ApiKeyState>;
  readonly scope: WorkspaceScope;
}

/** API keys over NATS request/reply. */
export function apiKeyHandler(names: NatsNames): Type<unknown> {
  @Controller()
  class ApiKeyHandler {
    constructor(@Inject(TeamCommandRunner) private readonly runner: TeamCommandRunner) {}

    @MessagePattern(names.commandSubject('team', 'IssueApiKey'))
    issue(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run('IssueApiKey', raw, this.plan());
    }

    @MessagePattern(names.commandSubject('team', 'RevokeApiKey'))
    revoke(@Payload() raw: unknown): Promise<TeamCommandAnswer> {
      return this.runner.run('RevokeApiKey', raw, this.plan());
    }

    private plan<T extends ApiKeyCommand['type']>(): CommandPlan<T, ApiKeyLoaded> {
      return {
        load: async (command) => ({
          apiKey: await this.runner.load(TeamStreams.apiKey(command.payload.apiKeyId), apiKeyStream),
          scope: await loadWorkspaceScope(this.runner, command.envelope, command.payload.workspaceId),
        }),
        streams: (loaded) => [loaded.apiKey, ...scopeStreams(loaded.scope)],
        decide: (command, loaded) => {
          authorizeInScope(this.runner, command, loaded.scope);
          return apiKeyDecider.decide(command as ApiKeyCommand, { apiKey: loaded.apiKey.state, workspace: loaded.scope.workspace.state });
        },
      };
    }
  }
  return ApiKeyHandler;
}
