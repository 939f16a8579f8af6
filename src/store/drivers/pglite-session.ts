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
