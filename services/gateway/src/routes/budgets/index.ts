export * from './budget-command.sender';
export * from './budget-views.schema';
export * from './budgets.routes';
