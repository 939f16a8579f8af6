/** One server-sent event as a test sees it. */
export interface SseEvent {
  event: string;
  data: unknown;
  /** The event's `id` field, when it has one. */
  id?: string;
}

/** Most events one `next` call reads before giving up: every wait is bounded. */
const MAX_EVENTS_PER_WAIT = 10_000;

/** Reads an event stream (a Response body) event by event. */
export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #text = '';
  readonly seen: SseEvent[] = [];
  /** The last `id` the stream sent (an event's or a heartbeat's): what a browser would send as Last-Event-ID. */
  lastEventId: string | undefined;

  constructor(response: Response) {
    if (!response.body) throw new Error('the response has no body');
    this.#reader = response.body.getReader();
  }

  /** The next event; with `idOnly`, also the next block that carries only an id (returned as `id`). */
  async #read(idOnly = false): Promise<SseEvent | 'id' | undefined> {
    for (;;) {
      const end = this.#text.indexOf('\n\n');
      if (end >= 0) {
        const block = this.#text.slice(0, end);
        this.#text = this.#text.slice(end + 2);
        const lines = block.split('\n').filter((line) => !line.startsWith(':'));
        if (lines.length === 0) continue;
        const id = lines.find((l) => l.startsWith('id: '))?.slice(4);
        if (id !== undefined) this.lastEventId = id;
        // As an EventSource does: an id with no data moves the position and makes no event.
        if (!lines.some((l) => l.startsWith('data: '))) {
          if (idOnly && id !== undefined) return 'id';
          continue;
        }
        const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
        const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        const parsed: SseEvent = { event, data: data === '' ? null : JSON.parse(data), ...(id !== undefined ? { id } : {}) };
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
      if (event !== 'id' && predicate(event)) return event;
    }
    throw new Error(`no matching event in ${MAX_EVENTS_PER_WAIT}`);
  }

  /** Reads on to the next block without data that carries an id (a heartbeat's), and returns that id. */
  async nextBareId(): Promise<string> {
    for (let i = 0; i < MAX_EVENTS_PER_WAIT; i++) {
      const read = await this.#read(true);
      if (!read) throw new Error(`the stream ended; seen: ${JSON.stringify(this.seen)}`);
      if (read === 'id' && this.lastEventId !== undefined) return this.lastEventId;
    }
    throw new Error(`no id without data in ${MAX_EVENTS_PER_WAIT} events`);
  }

  /** Reads on until `predicate` holds for every event seen so far (events arriving in any order). */
  async until(predicate: (seen: readonly SseEvent[]) => boolean): Promise<void> {
    if (predicate(this.seen)) return;
    await this.next(() => predicate(this.seen));
  }

  async close(): Promise<void> {
    await this.#reader.cancel().catch(() => undefined);
  }
}
