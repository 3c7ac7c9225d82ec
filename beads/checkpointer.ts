import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** A background checkpointer: a worker thread with its own connection to the store. */
export interface Checkpointer {
  /** Runs a last checkpoint and ends the worker. */
  stop(): Promise<void>;
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.dbPath, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const tick = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  tick();
  db.close();
  parentPort.postMessage('stopped');
});
`;

/**
 * Copies the write-ahead log back into the database every `intervalMs` from a worker thread, so a
 * long-running writer (the town's store actor) never pays for checkpoints on its own thread; the
 * writer's `wal_autocheckpoint` stays as a cap in case this stops. A PASSIVE checkpoint never blocks
 * readers or the writer.
 */
export function startCheckpointer(
  dbPath: string,
  options: { intervalMs?: number; onError?: (message: string) => void } = {},
): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { dbPath, driver, intervalMs: options.intervalMs ?? 250 },
  });
  worker.unref();
  let exited = false;
  worker.once('exit', () => (exited = true));
  worker.on('message', (m: unknown) => {
    if (typeof m === 'object' && m !== null && 'error' in m) options.onError?.(String(m.error));
  });
  worker.on('error', (err) => options.onError?.(err.message));
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        const done = () => resolve();
        if (exited) return done();
        worker.once('exit', done);
        worker.on('message', (m: unknown) => {
          if (m === 'stopped') void worker.terminate().then(done, done);
        });
        worker.postMessage('stop');
      });
      return stopping;
    },
  };
}
