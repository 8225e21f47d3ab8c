import { ProjectionError, ProjectionErrorCode } from '../projection.error';
import { errorCodeOf, isTransientFailure, mayBePoison, redactedMessageOf } from './transient-failure';

const pgError = (code: string, message = 'refused'): Error => Object.assign(new Error(message), { code });

describe('transient failures', () => {
  it.each([
    ['08006', 'connection failure'],
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock'],
    ['53300', 'too many connections'],
    ['57014', 'statement timeout'],
    ['57P01', 'admin shutdown'],
    ['55P03', 'lock timeout'],
    ['25006', 'read-only transaction (failover)'],
    ['ECONNREFUSED', 'database down'],
    ['ECONNRESET', 'connection reset'],
  ])('%s (%s) is retried, never quarantined', (code) => {
    expect(isTransientFailure(pgError(code))).toBe(true);
    expect(mayBePoison(pgError(code))).toBe(false);
  });

  it('knows the pg driver lost its connection without a code, also as a cause', () => {
    expect(isTransientFailure(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientFailure(new Error('Client has encountered a connection error and is not queryable'))).toBe(true);
    expect(isTransientFailure(new Error('wrapped', { cause: pgError('40001') }))).toBe(true);
  });

  it.each([
    ['22008', 'date/time field value out of range'],
    ['22P02', 'invalid input syntax'],
    ['23505', 'unique violation'],
    ['23502', 'not null violation'],
    ['42703', 'undefined column'],
  ])('%s (%s) may be the event: the batch is taken apart', (code) => {
    expect(mayBePoison(pgError(code))).toBe(true);
  });

  it('takes a handler bug for possible poison, and never the runtime own errors', () => {
    expect(mayBePoison(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe(true);
    expect(mayBePoison(new ProjectionError(ProjectionErrorCode.LeadershipLost, 'lost'))).toBe(false);
    expect(mayBePoison(new ProjectionError(ProjectionErrorCode.Fenced, 'fenced'))).toBe(false);
  });

  it('names the SQLSTATE, else the class, and keeps quoted values out of logs', () => {
    expect(errorCodeOf(pgError('22008'))).toBe('22008');
    expect(errorCodeOf(new TypeError('x'))).toBe('TypeError');
    expect(redactedMessageOf(pgError('22008', 'date/time field value out of range: "0000-01-01T00:00:00Z"'))).toBe(
      'date/time field value out of range: "…"',
    );
    expect(redactedMessageOf(new Error("invalid input value for enum role: 'ada@example.com'"))).toBe("invalid input value for enum role: '…'");
  });
});
