/**
 * What the console shares with the tests (`@steward/console`): the guides' texts and the pure time-zone
 * helpers. Nothing here touches the DOM or React.
 */
export * from './texts';
export * from './components/time-zones';
export * from './components/figures';
export * from './session/pkce';
export type { paths } from './api/schema.generated';
export * from './api/live-keys';
