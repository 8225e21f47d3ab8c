export * from './billing-command.sender';
export * from './billing-views.schema';
export * from './billing.routes';
export * from './credit-suspension';
