import { IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { PROBLEM_CONTENT_TYPE, problemType } from '../../../problem';
import { decodeTraceRequest, encodeTraceResponse } from './otlp-trace.proto';
import { OTLP_BODY_LIMIT_BYTES } from './otlp.routes';

const gunzipAsync = promisify(gunzip);
const PROTOBUF_TYPES = new Set(['application/x-protobuf', 'application/protobuf']);
const TRACES_PATH = '/v1/traces';

function mediaType(header: string | undefined): string {
  return header?.split(';')[0]?.trim().toLowerCase() ?? '';
}

function problem(response: ServerResponse, status: number, title: string, detail: string, errors?: Array<{ field: string; message: string }>): void {
  const body = JSON.stringify({ type: problemType(status === 400 ? 'VALIDATION' : status === 413 ? 'PAYLOAD_TOO_LARGE' : 'UNSUPPORTED_MEDIA_TYPE'), title, status, detail, instance: TRACES_PATH, ...(errors ? { errors } : {}) });
  response.writeHead(status, { 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

async function readAll(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      request.resume();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A request like `original` whose body is `json` (application/json, not encoded): what the gateway's pipeline reads. */
function asJsonRequest(original: IncomingMessage, json: Buffer): IncomingMessage {
  const request = new IncomingMessage(original.socket);
  request.method = original.method ?? 'POST';
  request.url = original.url ?? TRACES_PATH;
  request.httpVersionMajor = original.httpVersionMajor;
  request.httpVersionMinor = original.httpVersionMinor;
  request.httpVersion = original.httpVersion;
  const headers = { ...original.headers, 'content-type': 'application/json', 'content-length': String(json.length) };
  delete headers['content-encoding'];
  delete headers['transfer-encoding'];
  request.headers = headers;
  request.push(json);
  request.push(null);
  // read to its end by the transcoder: without this, the end of this stand-in would abort the connection
  request.complete = true;
  return request;
}

/** Answers a protobuf request in protobuf: the JSON success body re-encoded; problems stay problem+json. */
function protobufAnswers(response: ServerResponse): void {
  const end = response.end.bind(response) as (chunk?: unknown, ...rest: unknown[]) => ServerResponse;
  response.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (response.statusCode === 200 && (typeof chunk === 'string' || Buffer.isBuffer(chunk)) && mediaType(String(response.getHeader('content-type') ?? '')) === 'application/json') {
      let answer: { partialSuccess?: { rejectedSpans: number; errorMessage: string } } = {};
      try {
        answer = JSON.parse(String(chunk)) as typeof answer;
      } catch {
        answer = {};
      }
      const bytes = Buffer.from(encodeTraceResponse(answer.partialSuccess));
      response.setHeader('content-type', 'application/x-protobuf');
      response.setHeader('content-length', bytes.length);
      return end(bytes);
    }
    return end(chunk, ...rest);
  }) as ServerResponse['end'];
}

/**
 * OTLP/HTTP sends protobuf or JSON, gzip-compressed or not; the gateway's
 * routes take JSON. For `POST /v1/traces` with a protobuf body or a gzip
 * encoding, this decodes the body into the OTLP/JSON document it stands for and
 * hands the gateway an equivalent JSON request (so the one route authenticates,
 * rate-limits, validates and answers it), and answers a protobuf request in
 * protobuf. Everything else passes untouched.
 */
export function otlpTranscoder(next: RequestListener, limitBytes = OTLP_BODY_LIMIT_BYTES): RequestListener {
  return (request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'POST' || path !== TRACES_PATH) return next(request, response);
    const type = mediaType(request.headers['content-type']);
    const encoding = (request.headers['content-encoding'] ?? 'identity').toString().trim().toLowerCase();
    const protobuf = PROTOBUF_TYPES.has(type);
    if (!protobuf && encoding === 'identity') return next(request, response);
    void (async () => {
      if (encoding !== 'gzip' && encoding !== 'identity') {
        request.resume();
        return problem(response, 415, 'Unsupported Media Type', `Content-Encoding ${encoding} is not supported (gzip or none)`);
      }
      if (!protobuf && type !== 'application/json') return next(request, response);
      const raw = await readAll(request, limitBytes);
      if (!raw) return problem(response, 413, 'Payload Too Large', `the body is larger than ${limitBytes} bytes`);
      let body: Buffer;
      try {
        body = encoding === 'gzip' ? await gunzipAsync(raw, { maxOutputLength: limitBytes }) : raw;
      } catch (error) {
        // a small body that inflates past the limit is too large, not malformed
        if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return problem(response, 413, 'Payload Too Large', `the body is larger than ${limitBytes} bytes once decompressed`, [{ field: 'body', message: `at most ${limitBytes} bytes decompressed` }]);
        return problem(response, 400, 'Invalid Request', 'the body is not valid gzip', [{ field: 'body', message: error instanceof Error ? error.message : 'invalid gzip' }]);
      }
      let json: Buffer = body;
      if (protobuf) {
        try {
          json = Buffer.from(JSON.stringify(decodeTraceRequest(body)));
        } catch (error) {
          return problem(response, 400, 'Invalid Request', 'the body is not an OTLP ExportTraceServiceRequest', [{ field: 'body', message: error instanceof Error ? error.message : 'invalid protobuf' }]);
        }
        protobufAnswers(response);
      }
      next(asJsonRequest(request, json), response);
    })().catch((error: unknown) => {
      if (!response.headersSent) problem(response, 400, 'Invalid Request', 'the body could not be read', [{ field: 'body', message: error instanceof Error ? error.message : 'unreadable' }]);
      else response.destroy();
    });
  };
}

/** Puts the transcoder in front of the server's request listeners (the gateway's express app). */
export function installOtlpTranscoder(server: Server, limitBytes = OTLP_BODY_LIMIT_BYTES): void {
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  const all: RequestListener = (request, response) => {
    for (const listener of listeners) listener.call(server, request, response);
  };
  server.on('request', otlpTranscoder(all, limitBytes));
}
