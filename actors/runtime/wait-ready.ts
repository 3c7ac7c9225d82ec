import type { AgentRuntime, ReadySpec, SessionHandle } from './provider.js';
import { delay } from './process.js';
import { RuntimeError } from './runtime-errors.js';

/**
 * Polls `isReady` until the session is ready. Throws `runtime.start_failed` (with the screen or log
 * tail) when the agent exits first, and `runtime.not_ready` after the timeout: `options.timeoutMs`,
 * else the prompt's `timeoutMs`, else the delay plus 10 s, else 60 s.
 */
export async function waitReady(
  runtime: AgentRuntime,
  handle: SessionHandle,
  ready: ReadySpec,
  options: { timeoutMs?: number; pollMs?: number } = {},
): Promise<void> {
  const timeoutMs =
    options.timeoutMs ??
    (ready.kind === 'prompt' ? ready.timeoutMs : undefined) ??
    (ready.kind === 'delay' ? ready.ms + 10_000 : 60_000);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await runtime.isReady(handle, ready)) return;
    if (!(await runtime.isAlive(handle))) {
      const tail = await runtime.capture(handle, 20).catch(() => '');
      throw new RuntimeError(
        'runtime.start_failed',
        `session ${handle.name} exited before it was ready (log: ${handle.logFile}):\n${tail}`,
        { details: { name: handle.name, logFile: handle.logFile } },
      );
    }
    if (Date.now() >= deadline)
      throw new RuntimeError(
        'runtime.not_ready',
        `session ${handle.name} is not ready after ${timeoutMs} ms (${describe(ready)}): attach to it or read ${handle.logFile}`,
        { details: { name: handle.name, ready } },
      );
    await delay(options.pollMs ?? 100);
  }
}

function describe(ready: ReadySpec): string {
  switch (ready.kind) {
    case 'prompt':
      return `waiting for the prompt ${JSON.stringify(ready.prefix)}`;
    case 'delay':
      return `waiting ${ready.ms} ms`;
    case 'file':
      return `waiting for ${ready.path}`;
  }
}
