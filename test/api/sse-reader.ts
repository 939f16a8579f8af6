/** One server-sent event as a test sees it. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/** Most events one `next` call reads before giving up: every wait is bounded. */
const MAX_EVENTS_PER_WAIT = 10_000;

/** Reads an event stream (a Response body) event by event. */
export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #text = '';
  readonly seen: SseEvent[] = [];

  constructor(response: Response) {
    if (!response.body) throw new Error('the response has no body');
    this.#reader = response.body.getReader();
  }

  async #read(): Promise<SseEvent | undefined> {
    for (;;) {
      const end = this.#text.indexOf('\n\n');
      if (end >= 0) {
        const block = this.#text.slice(0, end);
        this.#text = this.#text.slice(end + 2);
        const lines = block.split('\n').filter((line) => !line.startsWith(':'));
        if (lines.length === 0) continue;
        const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
        const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        const parsed: SseEvent = { event, data: data === '' ? null : JSON.parse(data) };
        this.seen.push(parsed);
        return parsed;
      }
      const { done, value } = await this.#reader.read();
      if (done) return undefined;
      this.#text += this.#decoder.decode(value, { stream: true });
    }
  }

  /** The next event that satisfies `predicate` (events before it stay in `seen`). */
  async next(predicate: (event: SseEvent) => boolean): Promise<SseEvent> {
    for (let i = 0; i < MAX_EVENTS_PER_WAIT; i++) {
      const event = await this.#read();
      if (!event) throw new Error(`the stream ended; seen: ${JSON.stringify(this.seen)}`);
      if (predicate(event)) return event;
    }
    throw new Error(`no matching event in ${MAX_EVENTS_PER_WAIT}`);
  }

  async close(): Promise<void> {
    await this.#reader.cancel().catch(() => undefined);
  }
}
