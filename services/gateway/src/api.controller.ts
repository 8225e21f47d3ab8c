import type { ServerResponse } from 'node:http';
import { Controller, Req, RequestMapping, RequestMethod, Res, type Type } from '@nestjs/common';
import type { RequestPipeline } from './request-pipeline';
import type { GatewayRequest } from './request-state';
import { toExpressPath, type AnyRoute } from './route';

/**
 * One Nest controller holding every registered route: a method per route,
 * mapped to its path, each handing the request to the pipeline.
 */
export function createApiController(routes: readonly AnyRoute[], pipeline: RequestPipeline): Type {
  class ApiController {}
  const prototype = ApiController.prototype as unknown as Record<string, unknown>;
  routes.forEach((route, index) => {
    const name = `route${index}_${route.operationId}`;
    Object.defineProperty(prototype, name, {
      value: (request: GatewayRequest, response: ServerResponse) => pipeline.handle(route, request, response),
      writable: true,
      configurable: true,
      enumerable: false,
    });
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name) as PropertyDescriptor;
    RequestMapping({ path: toExpressPath(route.path), method: RequestMethod[route.method] })(prototype, name, descriptor);
    Req()(prototype, name, 0);
    Res()(prototype, name, 1);
  });
  Controller()(ApiController);
  return ApiController;
}
