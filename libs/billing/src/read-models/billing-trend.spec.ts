import { trendOf } from './billing-read.repository';

describe('the month-over-month trend', () => {
  it('is signed, one decimal, green when spending went down', () => {
    expect(trendOf('80', '100')).toEqual({ percent: '-20.0', direction: 'down', colour: 'green' });
    expect(trendOf('112.5', '100')).toEqual({ percent: '+12.5', direction: 'up', colour: 'red' });
    expect(trendOf('100', '100')).toEqual({ percent: '0.0', direction: 'flat', colour: 'neutral' });
    expect(trendOf('1', '3')).toEqual({ percent: '-66.7', direction: 'down', colour: 'green' });
  });

  it('has no percentage when last month cost nothing', () => {
    expect(trendOf('5', '0')).toEqual({ percent: null, direction: 'up', colour: 'red' });
    expect(trendOf('0', '0')).toEqual({ percent: null, direction: 'flat', colour: 'neutral' });
  });
});
