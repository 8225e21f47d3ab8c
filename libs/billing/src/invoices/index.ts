export * from './invoice-pdf';
