import protobuf from 'protobufjs';

/*
 * The few messages of the OpenTelemetry protocol (opentelemetry-proto v1,
 * trace service request and response) that OTLP/HTTP trace ingest needs,
 * written out as a protobufjs reflection descriptor: field names and numbers
 * as in the published .proto files (common/v1, resource/v1, trace/v1,
 * collector/trace/v1). Fields added later are skipped by the decoder.
 */
const descriptor = {
  nested: {
    otlp: {
      nested: {
        AnyValue: {
          oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
          fields: {
            stringValue: { type: 'string', id: 1 },
            boolValue: { type: 'bool', id: 2 },
            intValue: { type: 'int64', id: 3 },
            doubleValue: { type: 'double', id: 4 },
            arrayValue: { type: 'ArrayValue', id: 5 },
            kvlistValue: { type: 'KeyValueList', id: 6 },
            bytesValue: { type: 'bytes', id: 7 },
          },
        },
        ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
        KeyValueList: { fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
        KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
        InstrumentationScope: {
          fields: {
            name: { type: 'string', id: 1 },
            version: { type: 'string', id: 2 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
            droppedAttributesCount: { type: 'uint32', id: 4 },
          },
        },
        Resource: {
          fields: { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 }, droppedAttributesCount: { type: 'uint32', id: 2 } },
        },
        Status: { fields: { message: { type: 'string', id: 2 }, code: { type: 'int32', id: 3 } } },
        Event: {
          fields: {
            timeUnixNano: { type: 'fixed64', id: 1 },
            name: { type: 'string', id: 2 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
            droppedAttributesCount: { type: 'uint32', id: 4 },
          },
        },
        Link: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            traceState: { type: 'string', id: 3 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 4 },
            droppedAttributesCount: { type: 'uint32', id: 5 },
            flags: { type: 'fixed32', id: 6 },
          },
        },
        Span: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            traceState: { type: 'string', id: 3 },
            parentSpanId: { type: 'bytes', id: 4 },
            name: { type: 'string', id: 5 },
            kind: { type: 'int32', id: 6 },
            startTimeUnixNano: { type: 'fixed64', id: 7 },
            endTimeUnixNano: { type: 'fixed64', id: 8 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 9 },
            droppedAttributesCount: { type: 'uint32', id: 10 },
            events: { rule: 'repeated', type: 'Event', id: 11 },
            droppedEventsCount: { type: 'uint32', id: 12 },
            links: { rule: 'repeated', type: 'Link', id: 13 },
            droppedLinksCount: { type: 'uint32', id: 14 },
            status: { type: 'Status', id: 15 },
            flags: { type: 'fixed32', id: 16 },
          },
        },
        ScopeSpans: {
          fields: { scope: { type: 'InstrumentationScope', id: 1 }, spans: { rule: 'repeated', type: 'Span', id: 2 }, schemaUrl: { type: 'string', id: 3 } },
        },
        ResourceSpans: {
          fields: { resource: { type: 'Resource', id: 1 }, scopeSpans: { rule: 'repeated', type: 'ScopeSpans', id: 2 }, schemaUrl: { type: 'string', id: 3 } },
        },
        ExportTraceServiceRequest: { fields: { resourceSpans: { rule: 'repeated', type: 'ResourceSpans', id: 1 } } },
        ExportTracePartialSuccess: { fields: { rejectedSpans: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } } },
        ExportTraceServiceResponse: { fields: { partialSuccess: { type: 'ExportTracePartialSuccess', id: 1 } } },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);
export const ExportTraceServiceRequestType = root.lookupType('otlp.ExportTraceServiceRequest');
export const ExportTraceServiceResponseType = root.lookupType('otlp.ExportTraceServiceResponse');

/** Field names whose bytes are ids: hex in OTLP/JSON (every other bytes field is base64). */
const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);

/**
 * A protobuf ExportTraceServiceRequest as the OTLP/JSON document it stands
 * for (lowerCamelCase names, hex ids, 64-bit integers as decimal strings,
 * enums as numbers), so both encodings go through one validation and mapping.
 * Throws on bytes that are not such a message.
 */
export function decodeTraceRequest(bytes: Uint8Array): unknown {
  const message = ExportTraceServiceRequestType.decode(bytes);
  const plain = ExportTraceServiceRequestType.toObject(message, { longs: String, enums: Number, defaults: false, arrays: false, oneofs: false });
  return JSON.parse(
    JSON.stringify(plain, function replacer(this: Record<string, unknown>, key: string, value: unknown) {
      const raw = this[key];
      if (raw instanceof Uint8Array) return ID_FIELDS.has(key) ? Buffer.from(raw).toString('hex') : Buffer.from(raw).toString('base64');
      return value;
    }),
  );
}

/** The protobuf answer of OTLP/HTTP (an empty message when everything was accepted). */
export function encodeTraceResponse(partialSuccess: { rejectedSpans: number; errorMessage: string } | undefined): Uint8Array {
  const message = ExportTraceServiceResponseType.create(partialSuccess ? { partialSuccess } : {});
  return ExportTraceServiceResponseType.encode(message).finish();
}
