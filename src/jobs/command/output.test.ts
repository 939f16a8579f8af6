import { describe, expect, it } from 'vitest';
import { LINE_MAX_CHARACTERS, OUTPUT_MAX_BYTES, OUTPUT_MAX_LINES, OutputLines, type OutputStream } from './output.js';

function collect() {
  const lines: Array<[OutputStream, string]> = [];
  const output = new OutputLines((stream, line) => void lines.push([stream, line]));
  return { lines, output };
}

describe('OutputLines', () => {
  it('splits chunks into lines, whatever the chunk boundaries, each stream apart', () => {
    const { lines, output } = collect();
    output.write('stdout', Buffer.from('first li'));
    output.write('stderr', Buffer.from('oops\r\n'));
    output.write('stdout', Buffer.from('ne\nsecond\n\nlast without newline'));
    output.end('stdout');
    output.end('stderr');
    expect(lines).toEqual([
      ['stderr', 'oops'],
      ['stdout', 'first line'],
      ['stdout', 'second'],
      ['stdout', ''],
      ['stdout', 'last without newline'],
    ]);
    expect(output.lastError).toBe('oops');
  });

  it('decodes a UTF-8 character split between two chunks', () => {
    const { lines, output } = collect();
    const bytes = Buffer.from('née\n');
    output.write('stdout', bytes.subarray(0, 2));
    output.write('stdout', bytes.subarray(2));
    expect(lines).toEqual([['stdout', 'née']]);
  });

  it('cuts a line without line breaks into pieces', () => {
    const { lines, output } = collect();
    output.write('stdout', Buffer.from('z'.repeat(LINE_MAX_CHARACTERS * 2 + 3)));
    output.end('stdout');
    expect(lines.map(([, line]) => line.length)).toEqual([LINE_MAX_CHARACTERS, LINE_MAX_CHARACTERS, 3]);
  });

  it(`keeps the first ${OUTPUT_MAX_LINES} lines and counts what it drops`, () => {
    const { lines, output } = collect();
    output.write('stdout', Buffer.from(Array.from({ length: OUTPUT_MAX_LINES + 2 }, (_, i) => `${i}`).join('\n') + '\n'));
    expect(lines).toHaveLength(OUTPUT_MAX_LINES);
    expect(output.totals()).toEqual({ lines: OUTPUT_MAX_LINES, droppedLines: 2, droppedBytes: `${OUTPUT_MAX_LINES}\n${OUTPUT_MAX_LINES + 1}\n`.length });
  });

  it(`keeps at most ${OUTPUT_MAX_BYTES} bytes, then nothing more even if a later line is short`, () => {
    const { lines, output } = collect();
    const line = 'b'.repeat(LINE_MAX_CHARACTERS - 1);
    const fits = Math.floor(OUTPUT_MAX_BYTES / LINE_MAX_CHARACTERS);
    for (let i = 0; i < fits + 1; i++) output.write('stdout', Buffer.from(`${line}\n`));
    output.write('stdout', Buffer.from('short\n'));
    expect(lines).toHaveLength(fits);
    expect(output.totals().droppedLines).toBe(2);
  });
});
