import { plainArray, textArray } from './pg-arrays';

describe('array literals', () => {
  it('quote every text (empty, NULL-looking, commas, braces, quotes, backslashes) and write null as NULL', () => {
    expect(textArray(['a', '', 'NULL', 'x,y', '{z}', 'say "hi"', 'back\\slash', null])).toBe('{"a","","NULL","x,y","{z}","say \\"hi\\"","back\\\\slash",NULL}');
    expect(plainArray([1, -2, true, null])).toBe('{1,-2,true,NULL}');
    expect(textArray([])).toBe('{}');
  });
});
