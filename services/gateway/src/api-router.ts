import type { AnyRoute, HttpMethod } from './route';

/** A route found for a request: its declaration, the decoded path parameters and the raw query string. */
export interface RouteMatch {
  readonly route: AnyRoute;
  readonly params: Record<string, string>;
  /** What follows `?` (null without one): what express's query parser is given. */
  readonly queryString: string | null;
}

interface CompiledRoute {
  readonly route: AnyRoute;
  /** A literal segment, or null where a parameter goes. */
  readonly segments: ReadonlyArray<string | null>;
  /** Parameter names by segment index. */
  readonly names: ReadonlyArray<string | undefined>;
}

/**
 * Finds the route of a request without express: the gateway's hot path (see gateway.app.ts). It answers only
 * what express would route the same way — the same route (the first declared that matches, as express
 * tries them in order), the same parameters (each segment percent-decoded) — and gives up (undefined) on
 * anything else, which then goes through express and Nest as before: a path that differs from every
 * route's only by letter case or a malformed escape, a URL that is not a plain origin-form path (an absolute
 * URL, whitespace, `#`), HEAD (express answers it with the GET route), an unknown path or method (404/405).
 */
export class ApiRouter {
  private readonly byMethod = new Map<string, Map<number, CompiledRoute[]>>();

  constructor(routes: readonly AnyRoute[]) {
    for (const route of routes) {
      const parts = route.path.split('/').slice(1);
      const compiled: CompiledRoute = {
        route,
        segments: parts.map((part) => (part.startsWith('{') ? null : part)),
        names: parts.map((part) => (part.startsWith('{') ? part.slice(1, -1) : undefined)),
      };
      let bySize = this.byMethod.get(route.method);
      if (bySize === undefined) this.byMethod.set(route.method, (bySize = new Map()));
      const list = bySize.get(parts.length) ?? [];
      list.push(compiled);
      bySize.set(parts.length, list);
    }
  }

  match(method: string | undefined, url: string | undefined): RouteMatch | undefined {
    if (method === undefined || url === undefined || url.charCodeAt(0) !== 0x2f /* / */) return undefined;
    const bySize = this.byMethod.get(method as HttpMethod);
    if (bySize === undefined) return undefined;
    let end = url.length;
    let queryString: string | null = null;
    for (let index = 1; index < url.length; index++) {
      const code = url.charCodeAt(index);
      if (code === 0x3f /* ? */ && queryString === null) {
        end = index;
        queryString = url.slice(index + 1);
      } else if (code <= 0x20 || code === 0x23 /* # */ || code === 0x7f || code === 0xa0 || code === 0xfeff) {
        // what parseurl hands to the WHATWG parser (whitespace, fragments): left to express
        return undefined;
      }
    }
    // express allows one trailing slash
    if (end > 1 && url.charCodeAt(end - 1) === 0x2f) end -= 1;
    const parts = url.slice(1, end).split('/');
    const candidates = bySize.get(parts.length);
    if (candidates === undefined) return undefined;
    for (const candidate of candidates) {
      const params = matchSegments(candidate, parts);
      if (params === null) continue;
      if (params === undefined) return undefined;
      return { route: candidate.route, params, queryString };
    }
    return undefined;
  }
}

/** The decoded params (null: no match; undefined: a segment express would refuse to decode). */
function matchSegments(candidate: CompiledRoute, parts: readonly string[]): Record<string, string> | null | undefined {
  for (let index = 0; index < parts.length; index++) {
    const literal = candidate.segments[index];
    const part = parts[index] as string;
    if (literal === null ? part.length === 0 : literal !== part) return null;
  }
  const params: Record<string, string> = {};
  for (let index = 0; index < parts.length; index++) {
    const name = candidate.names[index];
    if (name === undefined) continue;
    const part = parts[index] as string;
    if (part.indexOf('%') === -1) {
      params[name] = part;
      continue;
    }
    try {
      params[name] = decodeURIComponent(part);
    } catch {
      return undefined;
    }
  }
  return params;
}
