import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import pg from 'pg';

/**
 * The parts of pg's (untyped) protocol connection that COPY FROM STDIN needs.
 * pg answers a CopyInResponse by calling `handleCopyInResponse(connection)` on
 * the active query; its own Query refuses (no source stream), this one sends.
 */
interface CopyInConnection {
  readonly stream: Duplex;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

class CopyFromStdinQuery extends pg.Query {
  constructor(
    text: string,
    private readonly chunks: Iterable<Buffer>,
    callback: (error: Error | undefined, result: { rowCount: number | null }) => void,
  ) {
    super(text, callback);
  }

  /** Called by pg when the server is ready to receive the data. */
  handleCopyInResponse(connection: CopyInConnection): void {
    void this.send(connection);
  }

  private async send(connection: CopyInConnection): Promise<void> {
    try {
      for (const chunk of this.chunks) {
        connection.sendCopyFromChunk(chunk);
        if (connection.stream.writableNeedDrain) await once(connection.stream, 'drain');
      }
      connection.endCopyFrom();
    } catch (error) {
      connection.sendCopyFail(error instanceof Error ? error.message : String(error));
    }
  }
}

/**
 * Runs `COPY … FROM STDIN` (text format) with the given chunks of data, using
 * only pg's own protocol support (pg-copy-streams is not a dependency).
 * Resolves with the number of rows copied.
 */
export function copyFromStdin(client: pg.ClientBase, text: string, chunks: Iterable<Buffer>): Promise<number> {
  return new Promise((resolve, reject) => {
    client.query(
      new CopyFromStdinQuery(text, chunks, (error, result) => (error ? reject(error) : resolve(result.rowCount ?? 0))),
    );
  });
}

/** Escapes a value for COPY's text format (backslash, tab, newline, carriage return). */
export function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : value;
}

/** Cuts text lines into buffers of about `size` bytes. */
export function* chunksOf(lines: Iterable<string>, size = 256 * 1024): Generator<Buffer> {
  let pending: string[] = [];
  let length = 0;
  for (const line of lines) {
    pending.push(line);
    length += line.length;
    if (length >= size) {
      yield Buffer.from(pending.join(''));
      pending = [];
      length = 0;
    }
  }
  if (pending.length > 0) yield Buffer.from(pending.join(''));
}
