import { statementInCredits } from './usage-statement';
import type { StatementGroup } from './chargeback.repository';

const group = (over: Partial<StatementGroup>): StatementGroup => ({
  jobId: null,
  provider: 'openai',
  model: 'gpt-4o',
  priced: true,
  calls: 2,
  lines: [{ tokenType: 'input', quantity: 1000, unitPrice: '0.0000025', total: '0.0025' }],
  total: '0.0025',
  ...over,
});

describe('statementInCredits', () => {
  it('converts every USD amount at the rate, sums the models, and counts unpriced calls', () => {
    const priced = group({});
    const unpriced = group({ model: 'mystery', priced: false, calls: 3, lines: [{ tokenType: 'input', quantity: 10, unitPrice: null, total: '0' }], total: '0.001' });
    const statement = statementInCredits({ models: [priced, unpriced], jobs: [group({ jobId: 'job-1', calls: 1, total: '0.00125' })] }, '1.5');
    expect(statement).toEqual({
      creditsPerUsd: '1.5',
      models: [
        { ...priced, lines: [{ ...priced.lines[0], unitPriceCredits: '0.00000375', totalCredits: '0.00375' }], totalCredits: '0.00375' },
        { ...unpriced, lines: [{ ...unpriced.lines[0], unitPriceCredits: null, totalCredits: '0' }], totalCredits: '0.0015' },
      ],
      jobs: [expect.objectContaining({ jobId: 'job-1', total: '0.00125', totalCredits: '0.001875' })],
      calls: 5,
      unpricedCalls: 3,
      total: '0.0035',
      totalCredits: '0.00525',
    });
  });

  it('answers an empty month as zeros', () => {
    expect(statementInCredits({ models: [], jobs: [] }, '100')).toEqual({ creditsPerUsd: '100', models: [], jobs: [], calls: 0, unpricedCalls: 0, total: '0', totalCredits: '0' });
  });
});
