/**
 * Runs one system under test in its own process (forked by bench/engine.bench.ts with an IPC
 * channel), so no two systems share an event loop, a pool or a garbage collector.
 *
 * Protocol: the parent sends `{ type: 'start', task }`; the child answers `ready` once set
 * up, streams `samples` (cron tasks), and ends with `result` (or `error`). `{ type: 'stop' }`
 * asks it to wind down: cron tasks stop, idle tasks return the samples they have.
 */
import type { ChildIo, ChildMessage, CronSample, ParentMessage, Task } from './common.js';
import * as graphile from './graphile.js';
import * as grove from './grove.js';
import * as pgboss from './pgboss.js';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) throw new Error('bench/engine/child.ts must be forked with an IPC channel');
    process.send(message, undefined, undefined, () => resolve());
  });
}

let stop: () => void = () => undefined;
let stopped = false;
const stoppedPromise = new Promise<void>((resolve) => {
  stop = () => {
    stopped = true;
    resolve();
  };
});

let buffer: CronSample[] = [];
const flush = async () => {
  if (buffer.length === 0) return;
  const samples = buffer;
  buffer = [];
  await send({ type: 'samples', samples });
};
const flusher = setInterval(() => void flush(), 250);

const io: ChildIo = {
  ready: () => void send({ type: 'ready', at: Date.now() }),
  sample: (sample) => void buffer.push(sample),
  stopped: stoppedPromise,
  isStopped: () => stopped,
};

async function runTask(task: Task) {
  const adapter = { grove, graphile, pgboss }[task.system];
  switch (task.kind) {
    case 'cron':
      return adapter.cron(task, io);
    case 'idle':
      return task.system === 'grove' ? grove.idle(task, io, task.inProcess ?? false) : adapter.idle(task, io);
    case 'throughput':
      return adapter.throughput(task, io);
  }
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'stop') {
    stop();
    return;
  }
  void (async () => {
    try {
      const result = await runTask(message.task);
      await flush();
      await send({ type: 'result', result });
    } catch (error) {
      await send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    } finally {
      clearInterval(flusher);
      process.disconnect();
      // Libraries may keep timers alive after stopping; the result is already with the parent.
      setTimeout(() => process.exit(0), 2000).unref();
    }
  })();
});
