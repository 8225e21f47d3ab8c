import type { ServerResponse } from 'node:http';
import { Catch, NotFoundException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Logger } from '@steward/observability';
import { GatewayError, GatewayErrorCode } from './gateway.error';
import { PROBLEM_CONTENT_TYPE, type ProblemMapper } from './problem';
import { requestPath, requestState, type GatewayRequest } from './request-state';

/** The methods a concrete path accepts (API routes and the operational ones). */
export type AllowedMethods = (path: string) => readonly string[];

export interface ProblemAnswerDeps {
  readonly logger: Logger;
  readonly allowedMethods: AllowedMethods;
  readonly problems: ProblemMapper;
}

/** Writes a problem document for anything thrown while serving a request. */
export function answerWithProblem(error: unknown, request: GatewayRequest, response: ServerResponse, deps: ProblemAnswerDeps): void {
  const path = requestPath(request);
  let cause = error;
  if (error instanceof NotFoundException) {
    // only Nest's router throws this: no route matched method and path
    const state = requestState(request);
    state.route = 'unmatched';
    const allow = deps.allowedMethods(path);
    cause =
      allow.length > 0
        ? new GatewayError(GatewayErrorCode.MethodNotAllowed, `${request.method ?? 'GET'} is not allowed on ${path}`, { allow })
        : new GatewayError(GatewayErrorCode.NotFound, `no route for ${request.method ?? 'GET'} ${path}`);
  }
  const problem = deps.problems(cause, path);
  if (problem.status >= 500) deps.logger.error({ err: error, requestId: requestState(request).requestId }, 'request failed');
  if (response.headersSent) {
    response.destroy();
    return;
  }
  for (const [name, value] of Object.entries(problem.headers)) response.setHeader(name, value);
  response.statusCode = problem.status;
  response.setHeader('content-type', PROBLEM_CONTENT_TYPE);
  response.end(JSON.stringify(problem.body));
}

/** The one place where errors become HTTP answers (see problem.ts for the code → status table). */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly deps: ProblemAnswerDeps) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    answerWithProblem(exception, http.getRequest<GatewayRequest>(), http.getResponse<ServerResponse>(), this.deps);
  }
}
