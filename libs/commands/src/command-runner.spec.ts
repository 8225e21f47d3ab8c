import { RpcException } from '@nestjs/microservices';
import { ContractError, ContractErrorCode, type CommandEnvelope } from '@steward/contracts';
import { EventStoreError, EventStoreErrorCode, type EventStore } from '@steward/event-store';
import { CountPayload, TallyError, TallyErrorCode, tallyCodes, tallyRegistry } from '../test/tally.fixture';
import { CommandRunner } from './command-runner';

/** The runner's parsing and refusals: no stream is read (the store is never reached). */
describe('CommandRunner: envelopes, payloads, refusals', () => {
  const unreachable = {} as EventStore;
  const runner = new CommandRunner({ store: unreachable, registry: tallyRegistry, errors: TallyError, codes: tallyCodes, maxAttempts: 3 });
  const envelope = (overrides: Partial<CommandEnvelope> = {}): CommandEnvelope => ({
    commandId: 'cmd-1',
    type: 'Count',
    actor: { type: 'user', id: 'u-1' },
    issuedAt: '2026-01-01T00:00:00.000Z',
    payload: { workspaceId: 'ws-1', tallyId: 't-1', by: 2 },
    ...overrides,
  });

  it('takes a well-formed envelope of its type', () => {
    expect(runner.parseEnvelope('Count', envelope())).toMatchObject({ commandId: 'cmd-1', type: 'Count' });
  });

  it('refuses what is not an envelope, naming the field, and an envelope sent to the wrong handler', () => {
    const broken = (() => {
      try {
        runner.parseEnvelope('Count', { ...envelope(), commandId: '' });
      } catch (error) {
        return error;
      }
    })();
    expect(broken).toBeInstanceOf(TallyError);
    expect((broken as TallyError).toBody()).toEqual({ code: TallyErrorCode.InvalidCommand, message: expect.stringContaining('not a command envelope: commandId'), field: 'commandId' });
    expect(() => runner.parseEnvelope('Close', envelope())).toThrow('Count sent to the Close handler');
  });

  it('validates the payload without echoing it, and keeps the tenant wall', () => {
    expect(runner.parsePayload('Count', CountPayload, envelope())).toEqual({ workspaceId: 'ws-1', tallyId: 't-1', by: 2 });
    const invalid = envelope({ payload: { workspaceId: 'ws-1', tallyId: 't-1', by: -7 } });
    expect(() => runner.parsePayload('Count', CountPayload, invalid)).toThrow(/^Count: by: /);
    expect(() => runner.parsePayload('Count', CountPayload, invalid)).not.toThrow(/-7/);
    const walled = envelope({ workspaceId: 'ws-2' });
    expect(() => runner.parsePayload('Count', CountPayload, walled)).toThrow(new TallyError(TallyErrorCode.NotFound, 'no workspace ws-1 in ws-2'));
    expect(runner.parsePayload('Count', CountPayload, envelope({ workspaceId: 'ws-1' })).tallyId).toBe('t-1');
  });

  it('maps contract and store failures to the context codes, and nothing else', () => {
    const body = (error: unknown) => runner.refusal(error)?.toBody();
    expect(body(new ContractError(ContractErrorCode.InvalidData, 'bad data'))).toEqual({ code: TallyErrorCode.InvalidCommand, message: 'bad data' });
    expect(body(new EventStoreError(EventStoreErrorCode.WrongExpectedRevision, 'moved'))?.code).toBe(TallyErrorCode.Conflict);
    expect(body(new EventStoreError(EventStoreErrorCode.IdempotencyViolation, 'reused'))?.code).toBe(TallyErrorCode.Conflict);
    // a conflict never tells the stream, its revision or the ids another command recorded
    const inStream = body(new EventStoreError(EventStoreErrorCode.IdempotencyViolation, 'an event id of this append to team-ws-secret is already stored'));
    expect(JSON.stringify(inStream)).not.toMatch(/team-ws-secret|stored/);
    expect(JSON.stringify(body(new EventStoreError(EventStoreErrorCode.WrongExpectedRevision, 'stream tally-t-9 is at revision 4, expected 3')))).not.toMatch(/tally-t-9|revision 4/);
    expect(body(new EventStoreError(EventStoreErrorCode.Unavailable, 'down'))?.code).toBe(TallyErrorCode.Unavailable);
    expect(body(new EventStoreError(EventStoreErrorCode.InvalidArgument, 'odd'))?.code).toBe(TallyErrorCode.InvalidCommand);
    const own = new TallyError(TallyErrorCode.Closed, 'closed');
    expect(runner.refusal(own)).toBe(own);
    expect(runner.refusal(new Error('a bug'))).toBeUndefined();
  });

  it('asks the context about failures only it knows', () => {
    const withSecrets = new CommandRunner({
      store: unreachable,
      registry: tallyRegistry,
      errors: TallyError,
      codes: tallyCodes,
      maxAttempts: 3,
      refusalOf: (error) => (error instanceof RangeError ? new TallyError(TallyErrorCode.Unavailable, 'secret store: down') : undefined),
    });
    expect(withSecrets.refusal(new RangeError('x'))?.toBody()).toEqual({ code: TallyErrorCode.Unavailable, message: 'secret store: down' });
    expect(withSecrets.refusal(new Error('a bug'))).toBeUndefined();
  });

  it('answers a handler refusal as an RpcException carrying the body, and lets a bug through as itself', async () => {
    const refused = runner.handle('Count', envelope(), async () => {
      throw new TallyError(TallyErrorCode.Closed, 'tally t-1 is closed');
    });
    await expect(refused).rejects.toBeInstanceOf(RpcException);
    await expect(refused).rejects.toMatchObject({ error: { code: TallyErrorCode.Closed, message: 'tally t-1 is closed' } });
    await expect(runner.handle('Count', { nonsense: true }, async () => 'never')).rejects.toMatchObject({ error: { code: TallyErrorCode.InvalidCommand } });
    const bug = new TypeError('undefined is not a function');
    await expect(runner.handle('Count', envelope(), async () => Promise.reject(bug))).rejects.toBe(bug);
  });
});
