import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics } from '@opentelemetry/api';
import { TelemetryError, currentTelemetry, initTelemetry, resetTelemetryForTests } from './telemetry';

describe('initTelemetry', () => {
  afterEach(async () => {
    await resetTelemetryForTests();
  });

  it('is idempotent for one service and refuses a second one', () => {
    const first = initTelemetry({ serviceName: 'relay', exporters: { prometheus: false } });
    expect(initTelemetry({ serviceName: 'relay' })).toBe(first);
    expect(currentTelemetry()).toBe(first);
    expect(() => initTelemetry({ serviceName: 'gateway' })).toThrow(TelemetryError);
  });

  it('serves the metrics of the global meter provider in the Prometheus format', async () => {
    const telemetry = initTelemetry({ serviceName: 'metrics-test', exporters: { prometheus: true } });
    metrics.getMeter('test').createCounter('steward_test_events_total').add(3, { projection: 'chargeback' });
    const handler = telemetry.metricsHandler!;
    const server: Server = createServer((request, response) => handler(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      const body = await response.text();
      expect(body).toMatch(/steward_test_events_total\{[^}]*projection="chargeback"[^}]*\} 3/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
