import type { PGlite } from '@electric-sql/pglite';

/** Who holds the session: a socket client's handler id, or an in-process operation. */
type Holder = number | symbol;

/**
 * An embedded store is a single PostgreSQL session. The gate gives it to one holder at a
 * time: an in-process query or transaction, or a socket client from its first protocol
 * message until a Sync or simple Query completes outside a transaction. Without it, one
 * client's statements could land inside another's transaction or between its Parse and Bind.
 */
export class SessionGate {
  #holder: Holder | undefined;
  readonly #waiting: Array<{ holder: Holder; grant: () => void; refuse: (error: Error) => void }> = [];
  /** The search_path the session has now; unknown after a socket client used it. */
  searchPath: string | undefined;

  acquire(holder: Holder): Promise<void> {
    if (this.#holder === undefined || this.#holder === holder) {
      this.#holder = holder;
      return Promise.resolve();
    }
    return new Promise((grant, refuse) => this.#waiting.push({ holder, grant, refuse }));
  }

  release(holder: Holder): void {
    if (this.#holder !== holder) return;
    const next = this.#waiting.shift();
    this.#holder = next?.holder;
    next?.grant();
  }

  holds(holder: Holder): boolean {
    return this.#holder === holder;
  }

  /** Refuses every waiting request of a holder that went away. */
  drop(holder: Holder): void {
    for (let i = this.#waiting.length - 1; i >= 0; i--) {
      const entry = this.#waiting[i];
      if (entry?.holder === holder) {
        this.#waiting.splice(i, 1);
        entry.refuse(new Error('connection closed'));
      }
    }
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    const holder = Symbol('in-process');
    await this.acquire(holder);
    try {
      return await work();
    } finally {
      this.release(holder);
    }
  }
}

const SYNC = 0x53; // 'S'
const SIMPLE_QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'
const STARTUP = 0x00; // a startup message has no type byte; its length's high byte is 0

/**
 * The query queue a pglite-socket handler expects, routed through the gate so socket
 * clients and in-process work never interleave.
 */
export class GatedSocketQueue {
  constructor(
    private readonly db: PGlite,
    private readonly gate: SessionGate,
    /** Receives each NotificationResponse on its way to a client (PGlite's own listeners never see these). */
    private readonly notified: (channel: string, payload: string) => void = () => undefined,
  ) {}

  async enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    await this.gate.acquire(handlerId);
    this.gate.searchPath = undefined;
    let bytes = 0;
    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(message, {
          onRawData: (data: Uint8Array) => {
            bytes += data.length;
            readNotifications(data, this.notified);
            onData(data);
          },
        }),
      );
    } catch (error) {
      if (!this.db.isInTransaction()) this.gate.release(handlerId);
      throw error;
    }
    const type = message[0];
    const boundary = type === SYNC || type === SIMPLE_QUERY || type === TERMINATE || type === STARTUP;
    if (boundary && !this.db.isInTransaction()) this.gate.release(handlerId);
    return bytes;
  }

  clearQueueForHandler(handlerId: number): void {
    this.gate.drop(handlerId);
  }

  /** A client that disconnects mid-transaction has its transaction rolled back. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (!this.gate.holds(handlerId)) return;
    try {
      if (this.db.isInTransaction()) await this.db.exec('rollback');
    } finally {
      this.gate.release(handlerId);
    }
  }

  getQueueLength(): number {
    return this.gate.waiting;
  }
}

const NOTIFICATION_RESPONSE = 0x41; // 'A'
const decoder = new TextDecoder();

/** Finds NotificationResponse messages ('A', length, pid, channel\0, payload\0) in backend output. */
function readNotifications(data: Uint8Array, notified: (channel: string, payload: string) => void): void {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  while (at + 5 <= data.length) {
    const length = view.getInt32(at + 1);
    const end = at + 1 + length;
    if (length < 4 || end > data.length) return;
    if (data[at] === NOTIFICATION_RESPONSE) {
      const channelStart = at + 9;
      const channelEnd = data.indexOf(0, channelStart);
      const payloadEnd = data.indexOf(0, channelEnd + 1);
      if (channelEnd > 0 && payloadEnd > 0 && payloadEnd < end) {
        notified(decoder.decode(data.subarray(channelStart, channelEnd)), decoder.decode(data.subarray(channelEnd + 1, payloadEnd)));
      }
    }
    at = end;
  }
}
