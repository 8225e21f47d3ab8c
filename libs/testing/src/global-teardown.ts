/** Stops the containers the global setup started, if any. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__stewardContainers?.stop();
  globalThis.__stewardContainers = undefined;
}
