import type { OpenAPIHono, RouteConfig, z } from '@hono/zod-openapi';
import { responseHeaders } from './views.js';

type OpenApiRegistry = OpenAPIHono['openAPIRegistry'];

/** A JSON response carrying X-Request-Id (as every response does) and any other headers named. */
export function jsonResponse<S extends z.ZodType>(schema: S, description: string, headers: Record<string, { $ref: string }> = {}) {
  return { description, headers: { ...responseHeaders.requestId, ...headers }, content: { 'application/json': { schema } } };
}

/** An empty response (204) carrying X-Request-Id. */
export function emptyResponse(description: string) {
  return { description, headers: { ...responseHeaders.requestId } };
}

/**
 * `route` as the server runs it, left out of the OpenAPI document, which gets the same route
 * with `documented` as its JSON body instead. For bodies the server reads loosely on purpose
 * (a job config is any object to the route: the config service validates it whole and names
 * every failing field, with suggestions), while the document gives clients the exact shape.
 */
export function withDocumentedBody<R extends RouteConfig>(registry: OpenApiRegistry, route: R, documented: { $ref: string }): R & { hide: true } {
  const { middleware: _middleware, hide: _hide, ...described } = route;
  const body = described.request?.body;
  registry.registerPath({
    ...described,
    request: { ...described.request, body: { ...body, required: body?.required ?? true, content: { 'application/json': { schema: documented } } } },
  });
  return { ...route, hide: true };
}
