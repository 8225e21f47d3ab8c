import { EventSource, type FetchLike } from 'eventsource';

/** One message of the live stream as a client receives it. */
export interface Received {
  readonly id: string;
  readonly kind: string;
  readonly kinds: string[];
  readonly type: string;
  readonly organizationId: string | null;
  readonly workspaceId: string | null;
  readonly at: number;
}

/**
 * A live-stream client on the `eventsource` package, authenticating with a bearer token through its fetch.
 * `drop()` ends the current response as a failing network would: the package reconnects by itself after the
 * server's `retry`, sending Last-Event-ID (recorded in `lastEventIdsSent`).
 */
export class LiveClient {
  readonly messages: Received[] = [];
  readonly resets: string[] = [];
  readonly lastEventIdsSent: Array<string | undefined> = [];
  readonly statuses: number[] = [];
  private readonly source: EventSource;
  private cut: (() => void) | undefined;

  constructor(url: string, token: string) {
    const authorized: FetchLike = async (input, init) => {
      const headers: Record<string, string> = { ...(init?.headers as Record<string, string>), authorization: `Bearer ${token}` };
      this.lastEventIdsSent.push(headers['Last-Event-ID']);
      const response = await fetch(input, { ...init, headers });
      this.statuses.push(response.status);
      const upstream = response.body?.getReader();
      if (!upstream) return response;
      let stop: (() => void) | undefined;
      const body = new ReadableStream<Uint8Array>({
        start: (controller) => {
          stop = () => {
            try {
              controller.close();
            } catch {
              // closed already
            }
            upstream.cancel().catch(() => undefined);
          };
        },
        pull: async (controller) => {
          const next = await upstream.read().catch(() => ({ done: true as const, value: undefined }));
          try {
            if (next.done) controller.close();
            else controller.enqueue(next.value);
          } catch {
            // dropped meanwhile
          }
        },
      });
      this.cut = stop;
      return new Response(body, { status: response.status, headers: response.headers });
    };
    this.source = new EventSource(url, { fetch: authorized });
    this.source.onmessage = (event) => {
      const data = JSON.parse(event.data) as Omit<Received, 'id' | 'at'>;
      this.messages.push({ ...data, id: event.lastEventId, at: Date.now() });
    };
    this.source.addEventListener('reset', (event) => this.resets.push((event as MessageEvent).lastEventId));
  }

  /** Resolves once the stream is open. */
  async opened(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.source.readyState !== this.source.OPEN) {
      if (Date.now() > deadline) throw new Error(`the stream did not open (statuses ${this.statuses.join(', ')})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Ends the current response as if the network failed. */
  drop(): void {
    this.cut?.();
  }

  close(): void {
    this.source.close();
  }
}
