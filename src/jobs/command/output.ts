import { StringDecoder } from 'node:string_decoder';

/**
 * How much of a command's output reaches the execution's log: the first OUTPUT_MAX_LINES
 * lines or OUTPUT_MAX_BYTES bytes (both streams together), whichever comes first; then one
 * line says how much was dropped. A line longer than LINE_MAX_CHARACTERS is cut into pieces,
 * so output without line breaks is bounded too.
 */
export const OUTPUT_MAX_LINES = 1_000;
export const OUTPUT_MAX_BYTES = 1024 * 1024;
export const LINE_MAX_CHARACTERS = 8 * 1024;

export type OutputStream = 'stdout' | 'stderr';

export interface OutputTotals {
  lines: number;
  droppedLines: number;
  droppedBytes: number;
}

/** Splits each stream into lines as chunks arrive and hands them on within the limits. */
export class OutputLines {
  readonly #decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  readonly #pending = { stdout: '', stderr: '' };
  #lines = 0;
  #bytes = 0;
  #droppedLines = 0;
  #droppedBytes = 0;
  #full = false;
  /** The last line of standard error, for the failure message. */
  lastError: string | undefined;

  constructor(private readonly emit: (stream: OutputStream, line: string) => void) {}

  write(stream: OutputStream, chunk: Buffer): void {
    let text = this.#pending[stream] + this.#decoders[stream].write(chunk);
    for (;;) {
      const newline = text.indexOf('\n');
      if (newline === -1) break;
      this.#line(stream, text.slice(0, newline));
      text = text.slice(newline + 1);
    }
    while (text.length > LINE_MAX_CHARACTERS) {
      this.#line(stream, text.slice(0, LINE_MAX_CHARACTERS));
      text = text.slice(LINE_MAX_CHARACTERS);
    }
    this.#pending[stream] = text;
  }

  /** The stream ended: its last line, if it had no line break. */
  end(stream: OutputStream): void {
    const text = this.#pending[stream] + this.#decoders[stream].end();
    this.#pending[stream] = '';
    if (text !== '') this.#line(stream, text);
  }

  totals(): OutputTotals {
    return { lines: this.#lines, droppedLines: this.#droppedLines, droppedBytes: this.#droppedBytes };
  }

  #line(stream: OutputStream, raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const bytes = Buffer.byteLength(line) + 1;
    if (stream === 'stderr' && line.trim() !== '') this.lastError = line;
    // Once full, always full: what reaches the log is a prefix of the output.
    if (this.#full || this.#lines >= OUTPUT_MAX_LINES || this.#bytes + bytes > OUTPUT_MAX_BYTES) {
      this.#full = true;
      this.#droppedLines++;
      this.#droppedBytes += bytes;
      return;
    }
    this.#lines++;
    this.#bytes += bytes;
    this.emit(stream, line);
  }
}
