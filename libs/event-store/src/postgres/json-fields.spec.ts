import { pickDataFields, sumFields } from '../event-store.port';
import { pickFields, scanFields } from './json-fields';

/** What the fold reads after JSON.parse: the reference the scanner must match on every document. */
const reference = (text: string) => sumFields('T', JSON.parse(text), { groupBy: 'organizationId', sum: { T: 'cost' }, span: 'time' });
const twoOf = (text: string) => sumFields('T', JSON.parse(text), { groupBy: 'organizationId', sum: { T: 'cost' } });

describe('scanFields: top-level fields of a JSON object text, as JSON.parse then sumFields reads them', () => {
  it.each([
    ['a usage document', JSON.stringify({ organizationId: 'org_1', workspaceId: 'ws', cost: '0.0061', pricing: { unitPrices: { input: '0.1', cost: 'nested' } }, via: 'http' })],
    ['fields after nested objects and arrays', '{"a":{"cost":"x","b":[1,{"organizationId":"no"}]},"list":[[],{}],"organizationId":"o","cost":"1.5"}'],
    ['escaped quotes and backslashes in strings', JSON.stringify({ note: 'he said "cost":"9" \\', organizationId: 'o\\"x', cost: '2', tail: '\\\\' })],
    ['an escaped key', '{"organ\\u0069zationId":"o-esc","cost":"3"}'],
    ['unicode escapes in a value', '{"organizationId":"\\u00e9t\\u00e9","cost":"3"}'],
    ['whitespace everywhere', ' { "organizationId" : "o" ,\n\t"cost"\r: "0.5" , "x" : [ 1 , 2 ] } '],
    ['numbers, booleans and null', '{"organizationId":12,"cost":2.50,"x":true,"y":null}'],
    ['an exponent number', '{"organizationId":"o","cost":1e2}'],
    ['null fields', '{"organizationId":null,"cost":null}'],
    ['objects as values', '{"organizationId":{"b":1, "a":[2]},"cost":[1,"2"]}'],
    ['duplicate keys: the last wins', '{"cost":"1","organizationId":"a","cost":"2","organizationId":"b"}'],
    ['missing fields', '{"other":"x"}'],
    ['an empty object', '{}'],
    ['an array', '["organizationId","cost"]'],
    ['a string', '"organizationId"'],
    ['a number', '42'],
    ['null', 'null'],
    ['a string ending in an escaped backslash before a field', '{"a":"x\\\\","organizationId":"o","cost":"7"}'],
    ['a key that is a prefix', '{"organizationIdX":"no","costs":"9","organizationId":"o","cost":"1"}'],
    ['a span field', '{"time":"2026-03-01T00:00:00.000Z","organizationId":"o","cost":"1","pricing":{"time":"nested"}}'],
    ['every field found early, the rest not naming them', '{"organizationId":"o","time":"2026-01-01T00:00:00Z","cost":"1","pricing":{"a":[1,2]},"via":"http"}'],
    ['every field found early, a duplicate later', '{"organizationId":"o","time":"t","cost":"1","pricing":{"a":1},"cost":"2"}'],
    ['a null field found early, its duplicate later', '{"organizationId":null,"time":"t","cost":"1","x":1,"organizationId":"o"}'],
    ['a name found again only as a later value', '{"organizationId":"o","time":"t","cost":"1","x":"organizationId","y":["cost"]}'],
    ['a name found again only as a nested key', '{"organizationId":"o","time":"t","cost":"1","x":{"organizationId":"no","cost":"9"}}'],
    ['a later escaped duplicate key', '{"organizationId":"o","time":"t","cost":"1","co\\u0073t":"2"}'],
    ['a span field that is no text', '{"organizationId":"o","cost":"1","time":1700000000000}'],
  ])('%s', (_title, text) => {
    expect(scanFields(text, 'organizationId', 'cost', 'time')).toEqual(reference(text));
    // without a third name, the third is never read
    expect(scanFields(text, 'organizationId', 'cost')).toEqual(twoOf(text));
  });
});

describe('pickFields: the asked top-level fields of a JSON text, as JSON.parse then pickDataFields gives them', () => {
  const FIELDS = ['organizationId', 'cost', 'time', 'scope', 'thresholds', 'missing', 'agent'];
  it.each([
    ['a usage document', JSON.stringify({ organizationId: 'org_1', time: '2026-01-01T00:00:00.000Z', agent: 'a', cost: '0.0061', pricing: { unitPrices: { input: '0.1', cost: 'nested' } }, via: 'http' })],
    ['a budget document', JSON.stringify({ organizationId: 'o', scope: { agent: 'x', model: null }, thresholds: [50, 80, 100], name: 'n' })],
    ['null values kept', '{"organizationId":null,"cost":"1","agent":null}'],
    ['numbers, booleans and escapes', '{"organizationId":12,"cost":2.50,"time":true,"agent":"a\\"b\\\\c\\u00e9"}'],
    ['duplicate keys: the last wins', '{"cost":"1","organizationId":"a","cost":"2","scope":{},"organizationId":"b","time":"t","thresholds":[],"missing":0,"agent":"x","agent":"y"}'],
    ['every field found early', '{"organizationId":"o","cost":"1","time":"t","scope":{},"thresholds":[1],"missing":false,"agent":"a","rest":{"cost":"9"},"tail":"cost"}'],
    ['an escaped key', '{"organ\\u0069zationId":"o-esc","cost":"3"}'],
    ['whitespace everywhere', ' { "organizationId" : "o" ,\n\t"cost"\r: "0.5" , "x" : [ 1 , 2 ] } '],
    ['no asked field', '{"other":"x"}'],
    ['an empty object', '{}'],
    ['an array', '["organizationId","cost"]'],
    ['a string', '"organizationId"'],
    ['null', 'null'],
  ])('%s', (_title, text) => {
    expect(pickFields(text, FIELDS)).toEqual(pickDataFields(JSON.parse(text), FIELDS));
  });
});
