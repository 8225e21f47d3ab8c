import { scanFields } from './libs/event-store/src/postgres/json-fields';
import { SumAccumulator } from './libs/event-store/src/event-store.port';
const docs: string[] = [];
for (let i = 0; i < 10000; i++) {
  docs.push(JSON.stringify({ organizationId: 'org_01JABCDEFGHJKMNPQRSTVWXYZ' + (i % 3), workspaceId: 'ws_01JABCDEFGHJKMNPQRSTVWXYZ', usageId: 'u-' + i + '-abcdefghijkl', source: 'sdk', time: new Date(1765000000000 + i * 1000).toISOString(), agent: 'support-agent', provider: 'openai', model: 'gpt-4o-mini', inputTokens: 1234, outputTokens: 456, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, reasoningOutputTokens: 0, responseTimeMs: 812, status: 'success', cost: '0.00' + (1000 + i) + '5', pricing: { status: 'priced', source: 'catalogue', ref: 'openai/gpt-4o-mini@2024-07-18', unitPrices: { input: '0.00000015', output: '0.0000006', cacheRead: '0.000000075', cacheCreation: '0.00000015', reasoning: '0.0000006' } }, receivedAt: new Date().toISOString(), via: 'http' }));
}
console.log('doc length', docs[0]!.length);
for (let round = 0; round < 5; round++) {
  let t = process.hrtime.bigint();
  let n = 0;
  for (let r = 0; r < 20; r++) for (const d of docs) { const f = scanFields(d, 'organizationId', 'cost', 'time'); if (f[0]) n++; }
  const scan = Number(process.hrtime.bigint() - t) / (20 * docs.length);
  t = process.hrtime.bigint();
  for (let r = 0; r < 20; r++) { const acc = new SumAccumulator<number>(true); for (let i = 0; i < docs.length; i++) { const f = scanFields(docs[i]!, 'organizationId', 'cost', 'time'); acc.add(f[0], f[1], i, f[2]); } acc.groupsWith(() => ({ commit: 0n, prepare: 0n } as never)); }
  const both = Number(process.hrtime.bigint() - t) / (20 * docs.length);
  t = process.hrtime.bigint();
  for (let r = 0; r < 20; r++) for (const d of docs) JSON.parse(d);
  const parse = Number(process.hrtime.bigint() - t) / (20 * docs.length);
  console.log(`scan ${scan.toFixed(0)} ns, scan+add ${both.toFixed(0)} ns, JSON.parse ${parse.toFixed(0)} ns`, n > 0);
}
