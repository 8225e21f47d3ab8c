import type { ServerResponse } from 'node:http';
import { Controller, Get, Param, Req, Res, type Type } from '@nestjs/common';
import type { MetricsHandler } from '@steward/observability';
import { sendDocsAsset, sendDocsPage } from './docs';
import { GatewayError, GatewayErrorCode } from './gateway.error';
import { JSON_CONTENT_TYPE, sendJson } from './request-pipeline';
import { checkReadiness, type ReadinessDeps } from './readiness';
import { requestState, type GatewayRequest } from './request-state';

/** The operational paths, all GET only. */
export const OPS_PATHS: readonly RegExp[] = [/^\/healthz\/?$/, /^\/readyz\/?$/, /^\/metrics\/?$/, /^\/openapi\.json$/, /^\/docs(\/[^/]+)?\/?$/];

export interface OpsDeps {
  readonly readiness: ReadinessDeps;
  readonly metricsHandler: MetricsHandler | undefined;
  readonly openApiDocument: () => unknown;
  readonly isShuttingDown: () => boolean;
}

/** healthz, readyz, metrics, the OpenAPI document and the docs built over the same deps. */
export function createOpsController(deps: OpsDeps): Type {
  const openApiText = (): string => JSON.stringify(deps.openApiDocument());
  let cachedDocument: string | undefined;

  @Controller()
  class OpsController {
    @Get('healthz')
    health(@Req() request: GatewayRequest, @Res() response: ServerResponse): void {
      requestState(request).route = '/healthz';
      response.setHeader('cache-control', 'no-store');
      sendJson(response, { status: 200, headers: {}, body: { status: 'ok' } });
    }

    @Get('readyz')
    async ready(@Req() request: GatewayRequest, @Res() response: ServerResponse): Promise<void> {
      requestState(request).route = '/readyz';
      response.setHeader('cache-control', 'no-store');
      if (deps.isShuttingDown()) {
        sendJson(response, { status: 503, headers: {}, body: { status: 'shutting-down', checks: {} } });
        return;
      }
      const report = await checkReadiness(deps.readiness);
      sendJson(response, { status: report.status === 'unavailable' ? 503 : 200, headers: {}, body: report });
    }

    @Get('metrics')
    metrics(@Req() request: GatewayRequest, @Res() response: ServerResponse): void {
      requestState(request).route = '/metrics';
      if (!deps.metricsHandler) throw new GatewayError(GatewayErrorCode.NotFound, 'metrics are not collected by this process');
      deps.metricsHandler(request, response);
    }

    @Get('openapi.json')
    openapi(@Req() request: GatewayRequest, @Res() response: ServerResponse): void {
      requestState(request).route = '/openapi.json';
      cachedDocument ??= openApiText();
      response.setHeader('content-type', JSON_CONTENT_TYPE);
      response.end(cachedDocument);
    }

    @Get('docs')
    docs(@Req() request: GatewayRequest, @Res() response: ServerResponse): void {
      requestState(request).route = '/docs';
      sendDocsPage(response);
    }

    @Get('docs/:asset')
    asset(@Param('asset') asset: string, @Req() request: GatewayRequest, @Res() response: ServerResponse): void {
      requestState(request).route = '/docs/{asset}';
      if (!sendDocsAsset(asset, response)) throw new GatewayError(GatewayErrorCode.NotFound, `no docs asset ${asset}`);
    }
  }
  return OpsController;
}
