import { GatewayError, GatewayErrorCode } from './gateway.error';
import { createProblemMapper, toProblemResponse } from './problem';
import { bodyFingerprint, canonicalJson, parseIdempotencyKey } from './idempotency.store';

class TeamError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

describe('toProblemResponse', () => {
  it.each([
    ['NOT_FOUND', 404],
    ['CONFLICT', 409],
    ['FORBIDDEN', 403],
    ['UNAUTHENTICATED', 401],
    ['RATE_LIMITED', 429],
    ['VALIDATION', 400],
    ['IDEMPOTENCY_MISMATCH', 422],
    ['PAYLOAD_TOO_LARGE', 413],
    ['UNSUPPORTED_MEDIA_TYPE', 415],
  ])('maps a domain error coded %s to %i', (code, status) => {
    const answer = toProblemResponse(new TeamError(code, 'because'), '/v1/x');
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ status, detail: 'because', instance: '/v1/x' });
  });

  it('titles a 403 "Access Restricted", challenges a 401 and tells a 429 when to come back', () => {
    expect(toProblemResponse(new GatewayError(GatewayErrorCode.Forbidden, 'no'), '/').body.title).toBe('Access Restricted');
    expect(toProblemResponse(new GatewayError(GatewayErrorCode.Unauthenticated, 'who?'), '/').headers['www-authenticate']).toMatch(/^Bearer /);
    expect(toProblemResponse(new GatewayError(GatewayErrorCode.RateLimited, 'slow down', { retryAfterSeconds: 12.2 }), '/').headers['retry-after']).toBe('13');
  });

  it('tells a 503 the gateway raised (what to resend, and how) with its Retry-After, and nothing of an unknown 5xx', () => {
    const stored = new GatewayError(GatewayErrorCode.Unavailable, 'The change is stored, but the read models do not show it yet; resend the request with the same Idempotency-Key', {
      retryAfterSeconds: 1,
      cause: new Error('read models team had not caught up within 5000 ms'),
    });
    const answer = toProblemResponse(stored, '/v1/x');
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('1');
    expect(answer.body.detail).toBe(stored.message);
    expect(JSON.stringify(answer.body)).not.toContain('5000 ms');
    expect(toProblemResponse(new TeamError('UNAVAILABLE', 'nats://10.0.0.7:4222 refused'), '/').body.detail).toBe('Service Unavailable');
  });

  it('keeps the cause of an unknown failure to itself', () => {
    const answer = toProblemResponse(new Error('password=hunter2'), '/v1/x');
    expect(answer.status).toBe(500);
    expect(JSON.stringify(answer.body)).not.toContain('hunter2');
    expect(toProblemResponse(new TeamError('SOMETHING_ELSE', 'secret'), '/').status).toBe(500);
  });

  it('maps a domain\'s own codes given to the mapper, never over the gateway\'s', () => {
    const problems = createProblemMapper({ LAST_OWNER: 409, INVITATION_EXPIRED: 410, INVALID_COMMAND: 400, NOT_FOUND: 500 });
    expect(problems(new TeamError('LAST_OWNER', 'keep one owner'), '/').body).toMatchObject({ status: 409, title: 'Conflict', detail: 'keep one owner' });
    expect(problems(new TeamError('INVITATION_EXPIRED', 'too late'), '/').status).toBe(410);
    expect(problems(new TeamError('INVALID_COMMAND', 'bad'), '/').body.title).toBe('Invalid Request');
    expect(problems(new TeamError('NOT_FOUND', 'gone'), '/').status).toBe(404);
    expect(toProblemResponse(new TeamError('LAST_OWNER', 'x'), '/').status).toBe(500);
  });

  it('keeps a framework 4xx as it is', () => {
    expect(toProblemResponse(Object.assign(new URIError('bad'), { status: 400 }), '/').status).toBe(400);
    // express's URIError (as is, or as Nest wraps it) names the path
    for (const error of [Object.assign(new URIError('bad'), { status: 400 }), new Error('Bad Request', { cause: new URIError('bad') })]) {
      expect(toProblemResponse(error, '/').body.errors).toEqual([{ field: 'path', message: 'not valid percent-encoded UTF-8' }]);
    }
  });
});

describe('idempotency keys and fingerprints', () => {
  it('fingerprints equal bodies alike whatever the key order', () => {
    expect(canonicalJson({ b: [1, { y: 2, x: 1 }], a: 'z' })).toBe('{"a":"z","b":[1,{"x":1,"y":2}]}');
    expect(bodyFingerprint({ a: 1, b: 2 })).toBe(bodyFingerprint({ b: 2, a: 1 }));
    expect(bodyFingerprint({ a: 1 })).not.toBe(bodyFingerprint({ a: 2 }));
  });

  it('takes 1 to 255 visible ASCII characters', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey('a'.repeat(255))).toBe('a'.repeat(255));
    for (const bad of ['', 'a'.repeat(256), 'with space', 'é', ['a', 'b']]) {
      expect(() => parseIdempotencyKey(bad)).toThrow(GatewayError);
    }
  });

  it('a domain refusal that is a 400 names a field: the payload field the service named, else the body', () => {
    const mapper = createProblemMapper({ TEAM_INVALID: 400, TEAM_GONE: 410 });
    const named = Object.assign(new Error('the role is not one of the roles'), { code: 'TEAM_INVALID', field: 'role' });
    expect(mapper(named, '/x').body.errors).toEqual([{ field: 'body.role', message: 'the role is not one of the roles' }]);
    expect(mapper(Object.assign(new Error('refused'), { code: 'TEAM_INVALID' }), '/x').body.errors).toEqual([{ field: 'body', message: 'refused' }]);
    expect(mapper(Object.assign(new Error('gone'), { code: 'TEAM_GONE' }), '/x').body.errors).toBeUndefined();
  });
});

