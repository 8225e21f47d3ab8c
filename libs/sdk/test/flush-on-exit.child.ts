/**
 * An agent that records two calls and then simply ends (nothing left to do):
 * with flushOnExit the client delivers them before the process exits.
 * argv: <baseUrl>
 */
import { StewardUsageClient } from '../src/usage-client.js';

const usage = new StewardUsageClient({ baseUrl: process.argv[2] ?? '', apiKey: 'stw_child', workspaceId: 'ws_exit', flushIntervalMs: 60_000, flushOnExit: true });
usage.record({ provider: 'openai', model: 'gpt-4o', inputTokens: 1, outputTokens: 1 });
usage.record({ provider: 'openai', model: 'gpt-4o', inputTokens: 2, outputTokens: 2 });
