export * from './budgets-db';
export * from './budgets.projection';
export * from './budget-read.repository';
export * from './spend-tables';
