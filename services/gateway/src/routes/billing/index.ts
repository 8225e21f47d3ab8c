export * from './billing-command.sender';
export * from './billing-views.schema';
export * from './billing.routes';
export * from './credit-suspension';
export * from './invoice.routes';
export * from './invoice-command.sender';
export * from './invoice-views.schema';
export * from './checkout-provider';
