import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';

/** Serves the Prometheus text exposition of every metric of this process. */
export type MetricsHandler = (request: IncomingMessage, response: ServerResponse) => void;

export interface TelemetryOptions {
  readonly serviceName: string;
  readonly serviceVersion?: string;
  readonly exporters?: {
    /**
     * OTLP/HTTP base endpoint (traces go to `<otlpUrl>/v1/traces`). Defaults to
     * OTEL_EXPORTER_OTLP_ENDPOINT; no OTLP export when neither is set.
     */
    readonly otlpUrl?: string;
    /** Collect metrics for a Prometheus scrape through `metricsHandler` (no server is started). Default true. */
    readonly prometheus?: boolean;
  };
  /** Extra span processors, e.g. a SimpleSpanProcessor over an InMemorySpanExporter in tests. */
  readonly spanProcessors?: readonly SpanProcessor[];
}

export interface Telemetry {
  readonly serviceName: string;
  readonly tracerProvider: NodeTracerProvider;
  readonly meterProvider: MeterProvider;
  /** Undefined when the Prometheus exporter is turned off. */
  readonly metricsHandler: MetricsHandler | undefined;
  /** Flushes and stops exporters; the global providers stay registered (no-ops afterwards). */
  shutdown(): Promise<void>;
}

export enum TelemetryErrorCode {
  AlreadyInitialized = 'ALREADY_INITIALIZED',
  InvalidOtlpUrl = 'INVALID_OTLP_URL',
}

export class TelemetryError extends Error {
  constructor(
    readonly code: TelemetryErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TelemetryError';
  }
}

let current: Telemetry | undefined;

/**
 * Sets up tracing and metrics for this process and registers them globally
 * (tracer provider, AsyncLocalStorage context manager, W3C trace-context and
 * baggage propagator, meter provider). Call it once, first thing in `main`.
 * Calling it again for the same service returns the same instance; for another
 * service name it throws, since the globals can only be set once.
 */
export function initTelemetry(options: TelemetryOptions): Telemetry {
  if (current) {
    if (current.serviceName !== options.serviceName) {
      throw new TelemetryError(
        TelemetryErrorCode.AlreadyInitialized,
        `telemetry already initialized for ${current.serviceName}, not ${options.serviceName}`,
      );
    }
    return current;
  }

  const resource = defaultResource().merge(
    resourceFromAttributes({
      'service.name': options.serviceName,
      ...(options.serviceVersion ? { 'service.version': options.serviceVersion } : {}),
    }),
  );

  const spanProcessors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  const otlpUrl = options.exporters?.otlpUrl ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (otlpUrl) {
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: otlpTracesUrl(otlpUrl) })));
  }
  const tracerProvider = new NodeTracerProvider({ resource, spanProcessors });
  tracerProvider.register();

  let prometheus: PrometheusExporter | undefined;
  if (options.exporters?.prometheus ?? true) {
    prometheus = new PrometheusExporter({ preventServerStart: true });
  }
  const meterProvider = new MeterProvider({ resource, readers: prometheus ? [prometheus] : [] });
  metrics.setGlobalMeterProvider(meterProvider);

  let stopped: Promise<void> | undefined;
  const telemetry: Telemetry = {
    serviceName: options.serviceName,
    tracerProvider,
    meterProvider,
    metricsHandler: prometheus ? (request, response) => prometheus.getMetricsRequestHandler(request, response) : undefined,
    shutdown() {
      stopped ??= Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]).then(() => undefined);
      return stopped;
    },
  };
  current = telemetry;
  return telemetry;
}

/** The telemetry set up by initTelemetry, if any. */
export function currentTelemetry(): Telemetry | undefined {
  return current;
}

/**
 * For tests that set telemetry up more than once in one process: shuts the
 * current providers down and unregisters every OpenTelemetry global.
 */
export async function resetTelemetryForTests(): Promise<void> {
  const previous = current;
  current = undefined;
  await previous?.shutdown();
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
}

function otlpTracesUrl(base: string): string {
  try {
    return new URL('v1/traces', base.endsWith('/') ? base : `${base}/`).toString();
  } catch (error) {
    throw new TelemetryError(TelemetryErrorCode.InvalidOtlpUrl, `not a URL: ${base}`, { cause: error });
  }
}
