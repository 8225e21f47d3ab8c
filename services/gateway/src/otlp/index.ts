export * from './otlp-genai.mapping';
export * from './otlp-request.schema';
export * from './otlp-trace.proto';
export * from './otlp-transcoder';
export * from './otlp.routes';
