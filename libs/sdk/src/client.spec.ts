import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StewardClient } from './client.js';
import { BudgetExceededError, StewardErrorCode, StewardRequestError, UsageNotRecordedError } from './errors.js';

/** Steward as the client sees it: a local HTTP server answering from a script, recording every request. */
interface Received {
  readonly method: string;
  readonly path: string;
  readonly idempotencyKey: string | undefined;
  readonly body: { events?: Array<Record<string, unknown>>; [field: string]: unknown } | undefined;
}
type Reply = (request: Received, response: ServerResponse) => void;

const json =
  (status: number, body: unknown, contentType = 'application/json'): Reply =>
  (_request, response) => {
    response.writeHead(status, { 'content-type': contentType });
    response.end(JSON.stringify(body));
  };
const problem = (status: number, extra: Record<string, unknown> = {}): Reply =>
  json(status, { type: 'about:blank', title: `scripted ${status}`, status, detail: `scripted ${status}`, ...extra }, 'application/problem+json');
const noContent: Reply = (_request, response) => {
  response.writeHead(204);
  response.end();
};
const granted = (id = 'res_1'): Reply => json(201, { reservationId: id, expiresAt: '2026-12-01T10:05:00Z', remainingUsd: '4.5000', budgetIds: ['bgt_1'] });
const accepted: Reply = (request, response) =>
  json(202, { batchId: 'bat_1', accepted: request.body?.events?.length ?? 0, rejected: 0, errors: [] })(request, response);

class FakeSteward {
  readonly received: Received[] = [];
  private readonly script: Reply[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const key = request.headers['idempotency-key'];
        const received: Received = {
          method: request.method ?? '',
          path: request.url ?? '',
          idempotencyKey: typeof key === 'string' ? key : undefined,
          body: text.length > 0 ? (JSON.parse(text) as Received['body']) : undefined,
        };
        this.received.push(received);
        const reply = this.script.shift();
        if (reply) reply(received, response);
        else problem(500, { detail: `unscripted ${received.method} ${received.path}` })(received, response);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  answer(...replies: Reply[]): void {
    this.script.push(...replies);
  }

  /** What was asked, as `METHOD path`. */
  calls(): string[] {
    return this.received.map((request) => `${request.method} ${request.path}`);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

const RESERVATIONS = '/v1/workspaces/ws_1/budget-reservations';
const USAGE = '/v1/workspaces/ws_1/usage';

describe('StewardClient', () => {
  let steward: FakeSteward;
  let client: StewardClient;

  beforeEach(async () => {
    steward = new FakeSteward();
    await steward.start();
    client = new StewardClient({ baseUrl: `${steward.url}/`, apiKey: 'stw_test', workspaceId: 'ws_1', source: 'unit-agent', maxAttempts: 3, sleep: async () => undefined });
  });

  afterEach(async () => {
    await client.close();
    await steward.stop();
  });

  describe('reserve and release', () => {
    it('reserves with the estimate as exact text, retrying a 503 under the same Idempotency-Key', async () => {
      steward.answer(problem(503), granted('res_9'));
      const reservation = await client.reserve({ estimatedCostUsd: '0.0125', agent: 'triage', provider: 'openai', model: 'gpt-4o', ttlSeconds: 60 });
      expect({ id: reservation.id, expiresAt: reservation.expiresAt, remainingUsd: reservation.remainingUsd, budgetIds: reservation.budgetIds }).toEqual({
        id: 'res_9',
        expiresAt: '2026-12-01T10:05:00Z',
        remainingUsd: '4.5000',
        budgetIds: ['bgt_1'],
      });
      expect(steward.calls()).toEqual([`POST ${RESERVATIONS}`, `POST ${RESERVATIONS}`]);
      expect(steward.received[0]?.body).toEqual({ estimatedCostUsd: '0.0125', agent: 'triage', provider: 'openai', model: 'gpt-4o', ttlSeconds: 60 });
      expect(steward.received[0]?.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
      expect(steward.received[1]?.idempotencyKey).toBe(steward.received[0]?.idempotencyKey);
    });

    it('turns a 402 into a BudgetExceededError carrying the budget and every field of the problem', async () => {
      steward.answer(problem(402, { budgetId: 'bgt_7', remainingUsd: '0.0040', period: 'month' }));
      const error = await client.reserve({ estimatedCostUsd: '0.0125' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BudgetExceededError);
      expect(error).toBeInstanceOf(StewardRequestError);
      expect(error).toMatchObject({ code: StewardErrorCode.BudgetExceeded, status: 402, budgetId: 'bgt_7', remainingUsd: '0.0040', problem: { period: 'month' } });
      expect(steward.calls()).toEqual([`POST ${RESERVATIONS}`]);
    });

    it('refuses an estimate that is not exact decimal text, without a request', async () => {
      await expect(client.reserve({ estimatedCostUsd: 0.0125 as unknown as string })).rejects.toThrow(TypeError);
      await expect(client.reserve({ estimatedCostUsd: '1e-3' })).rejects.toThrow(/exact decimal/);
      expect(steward.received).toEqual([]);
    });

    it('reads the budget from a nested `budget` member too; remainingUsd is null when no budget limits the call', async () => {
      steward.answer(problem(402, { budget: { id: 'bgt_8', name: 'monthly', limitUsd: '10', period: 'month' }, remainingUsd: '0' }));
      await expect(client.reserve({ estimatedCostUsd: '1' })).rejects.toMatchObject({ budgetId: 'bgt_8', remainingUsd: '0', problem: { budget: { name: 'monthly' } } });
      steward.answer(json(201, { reservationId: 'res_free', expiresAt: '2026-12-01T10:05:00Z', remainingUsd: null, budgetIds: [] }));
      const unlimited = await client.reserve({ estimatedCostUsd: '1' });
      expect([unlimited.remainingUsd, unlimited.budgetIds]).toEqual([null, []]);
    });

    it('names another refusal with its status and problem, without retrying it', async () => {
      steward.answer(problem(400, { detail: 'body.ttlSeconds: must be at most 3600' }));
      const error = await client.reserve({ estimatedCostUsd: '1', ttlSeconds: 99_999 }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: StewardErrorCode.Refused, status: 400, problem: { detail: 'body.ttlSeconds: must be at most 3600' } });
      expect(error).not.toBeInstanceOf(BudgetExceededError);
      expect(steward.received).toHaveLength(1);
    });

    it('releases once however often release() is called; one Steward no longer holds (404) is no error: false', async () => {
      steward.answer(granted('res_1'), noContent, problem(404));
      const reservation = await client.reserve({ estimatedCostUsd: '1' });
      expect(await Promise.all([reservation.release(), reservation.release()])).toEqual([true, true]);
      expect(await reservation.release()).toBe(true);
      expect(await client.release('res_unknown')).toBe(false);
      expect(steward.calls()).toEqual([`POST ${RESERVATIONS}`, `DELETE ${RESERVATIONS}/res_1`, `DELETE ${RESERVATIONS}/res_unknown`]);
    });
  });

  describe('recordUsage', () => {
    it('sends one event now, with the client source, and answers its id and batch', async () => {
      steward.answer(accepted);
      const receipt = await client.recordUsage({ provider: 'openai', model: 'gpt-4o', inputTokens: 10, budgetReservationId: 'res_1' });
      expect(receipt).toEqual({ id: steward.received[0]?.body?.events?.[0]?.id, batchId: 'bat_1' });
      expect(steward.received[0]?.body?.events).toEqual([
        expect.objectContaining({ provider: 'openai', model: 'gpt-4o', inputTokens: 10, budgetReservationId: 'res_1', source: 'unit-agent' }),
      ]);
    });

    it('gives up after maxAttempts, every attempt the same event under the same key', async () => {
      steward.answer(problem(503), problem(429), problem(500));
      const error = await client.recordUsage({ id: 'call-7', provider: 'openai', model: 'gpt-4o' }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: StewardErrorCode.GaveUp, status: 500 });
      expect(steward.received.map((request) => request.body?.events?.[0]?.id)).toEqual(['call-7', 'call-7', 'call-7']);
      expect(new Set(steward.received.map((request) => request.idempotencyKey)).size).toBe(1);
    });
  });

  describe('withBudget', () => {
    const params = { estimatedCostUsd: '0.02', agent: 'triage', provider: 'openai', model: 'gpt-4o' };

    it('reserves, runs the call, and records its usage against the reservation (the commit), releasing nothing', async () => {
      steward.answer(granted('res_1'), accepted);
      const seen: string[] = [];
      const result = await client.withBudget(params, async (reservation) => {
        seen.push(reservation.id);
        return { result: 'the answer', usage: { inputTokens: 120, outputTokens: 30, responseTimeMs: 800 } };
      });
      expect(result).toBe('the answer');
      expect(seen).toEqual(['res_1']);
      expect(steward.calls()).toEqual([`POST ${RESERVATIONS}`, `POST ${USAGE}`]);
      expect(steward.received[1]?.body?.events).toEqual([
        expect.objectContaining({ agent: 'triage', provider: 'openai', model: 'gpt-4o', inputTokens: 120, outputTokens: 30, budgetReservationId: 'res_1' }),
      ]);
    });

    it('does not run the call when the budget would be exceeded', async () => {
      steward.answer(problem(402, { budgetId: 'bgt_1', remainingUsd: '0.01' }));
      const call = jest.fn();
      await expect(client.withBudget(params, call)).rejects.toBeInstanceOf(BudgetExceededError);
      expect(call).not.toHaveBeenCalled();
      expect(steward.calls()).toEqual([`POST ${RESERVATIONS}`]);
    });

    it('releases the reservation when the call throws, records nothing, and rethrows the call’s error', async () => {
      steward.answer(granted('res_2'), noContent);
      const failure = new Error('the provider timed out');
      await expect(
        client.withBudget(params, async () => {
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(steward.calls()).toEqual([`POST ${RESERVATIONS}`, `DELETE ${RESERVATIONS}/res_2`]);
    });

    it('rethrows the call’s error even when the release fails', async () => {
      steward.answer(granted('res_2'), problem(500), problem(500), problem(500));
      const failure = new Error('the provider timed out');
      await expect(
        client.withBudget(params, async () => {
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(steward.calls().filter((call) => call.startsWith('DELETE'))).toHaveLength(3);
    });

    it('releases the reservation when the call used nothing (no usage)', async () => {
      steward.answer(granted('res_3'), noContent);
      await expect(client.withBudget(params, async () => ({ result: 'cached', usage: undefined }))).resolves.toBe('cached');
      expect(steward.calls()).toEqual([`POST ${RESERVATIONS}`, `DELETE ${RESERVATIONS}/res_3`]);
    });

    it('when Steward refuses the usage: releases the hold and hands the result back in UsageNotRecordedError', async () => {
      steward.answer(granted('res_4'), problem(400, { detail: 'events[0].inputTokens: too big' }), noContent);
      const error = await client
        .withBudget(params, async () => ({ result: { text: 'kept' }, usage: { inputTokens: 1e12 } }))
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UsageNotRecordedError);
      expect(error).toMatchObject({ result: { text: 'kept' }, reservationId: 'res_4', released: true, cause: { code: StewardErrorCode.Refused, status: 400 } });
      expect(steward.calls()).toEqual([`POST ${RESERVATIONS}`, `POST ${USAGE}`, `DELETE ${RESERVATIONS}/res_4`]);
    });

    it('when the record’s outcome is unknown (gave up): keeps the hold, records one event id only, and hands the result back', async () => {
      steward.answer(granted('res_5'), problem(503), problem(503), problem(503));
      const error = (await client.withBudget(params, async () => ({ result: 42, usage: { inputTokens: 5 } })).catch((caught: unknown) => caught)) as UsageNotRecordedError<number>;
      expect(error).toBeInstanceOf(UsageNotRecordedError);
      expect({ result: error.result, released: error.released, code: error.cause.code }).toEqual({ result: 42, released: false, code: StewardErrorCode.GaveUp });
      const ids = steward.received.filter((request) => request.path === USAGE).map((request) => request.body?.events?.[0]?.id);
      expect(ids).toEqual([error.usageId, error.usageId, error.usageId]);
      expect(steward.calls().some((call) => call.startsWith('DELETE'))).toBe(false);
    });
  });
});
