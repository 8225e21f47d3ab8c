/**
 * The container image's HEALTHCHECK: exits 0 when the process in the container answers `/readyz` with 200.
 *
 * One image runs every process, and a health check does not know which one it is probing, so it asks
 * the ops port first (`STEWARD_OPS_PORT`, served by every process but the gateway) and, when nothing
 * listens there, the gateway's own port (`PORT`, where the gateway serves /readyz). A one-shot
 * process (migrate, bootstrap) is never probed long enough to matter.
 */
const TIMEOUT_MS = 3000;

type Probe = 'ready' | 'not-ready' | 'no-listener';

async function probe(port: string): Promise<Probe> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await response.body?.cancel();
    return response.status === 200 ? 'ready' : 'not-ready';
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    return code === 'ECONNREFUSED' ? 'no-listener' : 'not-ready';
  }
}

export async function healthcheck(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const ops = env.STEWARD_OPS_PORT;
  if (ops) {
    const answer = await probe(ops);
    if (answer !== 'no-listener') return answer === 'ready';
  }
  return (await probe(env.PORT || '8080')) === 'ready';
}

if (require.main === module) {
  healthcheck().then(
    (healthy) => process.exit(healthy ? 0 : 1),
    () => process.exit(1),
  );
}
