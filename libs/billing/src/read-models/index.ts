export * from './read-model-projections';
