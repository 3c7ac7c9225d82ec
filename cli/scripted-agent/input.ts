import fs from 'node:fs';
import readline from 'node:readline';
import tty from 'node:tty';

const POLL_MS = 100;

/** True when fd 0 can carry typed input: a TTY, a pipe or a socket (not /dev/null or a file). */
export function stdinIsInteractive(): boolean {
  try {
    if (tty.isatty(0)) return true;
    const st = fs.fstatSync(0);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

/** The text of one nudge-file line: `{"at","text"}` gives `text`; any other line is taken as it is. */
export function nudgeText(line: string): string {
  try {
    const v = JSON.parse(line) as unknown;
    if (v !== null && typeof v === 'object' && typeof (v as { text?: unknown }).text === 'string')
      return (v as { text: string }).text;
  } catch {
    // a plain line
  }
  return line;
}

/**
 * The agent's input, in arrival order: lines appended to the nudge file after `start()` (headless
 * sessions) and lines typed on stdin (tmux sessions). Input that arrives while nobody waits is queued.
 */
export class InputQueue {
  private readonly queue: string[] = [];
  private readonly waiters: Array<{ resolve: (t: string) => void; reject: (e: Error) => void }> = [];
  private offset = 0;
  private partial: Buffer = Buffer.alloc(0);
  private timer: NodeJS.Timeout | undefined;
  private rl: readline.Interface | undefined;
  private stdinOpen = false;

  constructor(private readonly options: { nudgeFile?: string | undefined; stdin: boolean }) {}

  /** Starts listening; nudges already in the file are old news and skipped. */
  start(): void {
    const file = this.options.nudgeFile;
    if (file !== undefined) {
      this.offset = fileSize(file);
      this.timer = setInterval(() => this.poll(file), POLL_MS);
    }
    if (this.options.stdin) {
      this.stdinOpen = true;
      this.rl = readline.createInterface({ input: process.stdin, terminal: false });
      this.rl.on('line', (line) => this.push(line));
      this.rl.on('close', () => {
        this.stdinOpen = false;
        if (this.options.nudgeFile === undefined) this.failWaiters();
      });
    }
  }

  /** True while some source can still deliver input. */
  get open(): boolean {
    return this.options.nudgeFile !== undefined || this.stdinOpen;
  }

  /** The next input line; rejects when no source is left. */
  next(): Promise<string> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (!this.open)
      return Promise.reject(
        new Error('no input can arrive: GT_NUDGE_FILE is not set and stdin is closed or not a terminal/pipe'),
      );
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Stops listening and lets the process exit. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.rl?.close();
    this.rl = undefined;
    if (this.options.stdin) process.stdin.destroy();
  }

  private push(raw: string): void {
    const text = raw.replace(/\r$/, '');
    if (text.trim() === '') return;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter.resolve(text);
    else this.queue.push(text);
  }

  private failWaiters(): void {
    for (const w of this.waiters.splice(0)) w.reject(new Error('stdin closed while waiting for input'));
  }

  private poll(file: string): void {
    const size = fileSize(file);
    if (size < this.offset) {
      this.offset = 0;
      this.partial = Buffer.alloc(0);
    }
    if (size === this.offset) return;
    let chunk: Buffer;
    try {
      const fd = fs.openSync(file, 'r');
      try {
        chunk = Buffer.alloc(size - this.offset);
        const n = fs.readSync(fd, chunk, 0, chunk.length, this.offset);
        chunk = chunk.subarray(0, n);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return;
    }
    this.offset += chunk.length;
    const data = Buffer.concat([this.partial, chunk]);
    const end = data.lastIndexOf(0x0a);
    this.partial = data.subarray(end + 1);
    if (end < 0) return;
    const lines = data.subarray(0, end).toString('utf8').split('\n');
    for (const line of lines) if (line.trim() !== '') this.push(nudgeText(line));
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
