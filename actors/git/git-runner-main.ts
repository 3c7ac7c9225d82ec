import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { groupDeadline } from '../process-group.js';
import { GIT_KILL_GRACE_MS } from './git.js';
import type { RunnerReply, RunnerRequest } from './git-runner.js';

// The git runner process (git-runner.ts starts it): one JSON request per stdin line, one JSON reply
// per stdout line, git runs concurrently. It exits once stdin ends and every run has answered, so a
// daemon that dies (even by kill -9) takes it along.

function runOne(req: RunnerRequest): Promise<RunnerReply> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (reply: Omit<RunnerReply, 'id'>) => {
      if (settled) return;
      settled = true;
      resolve({ id: req.id, ...reply });
    };
    // Its own process group, so a timeout also stops the helpers git starts (git-remote-http, ssh).
    const child = spawn('git', req.args, {
      cwd: req.cwd,
      env: { ...process.env, ...req.env },
      detached: true,
      stdio: [req.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    const deadline = groupDeadline(child.pid, req.timeoutMs, GIT_KILL_GRACE_MS);
    child.on('error', (error) => {
      deadline.cancel();
      done({ code: -1, stdout: '', stderr: '', timedOut: deadline.timedOut, error: error.message });
    });
    child.on('close', (code) => {
      deadline.cancel();
      done({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut: deadline.timedOut,
      });
    });
    if (req.input !== undefined) {
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(req.input);
    }
  });
}

let running = 0;
let ended = false;
const exitWhenIdle = () => {
  if (ended && running === 0) process.exit(0);
};
const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let req: RunnerRequest;
  try {
    req = JSON.parse(line) as RunnerRequest;
  } catch {
    return;
  }
  running++;
  void runOne(req).then((reply) => {
    process.stdout.write(`${JSON.stringify(reply)}\n`);
    running--;
    exitWhenIdle();
  });
});
lines.on('close', () => {
  ended = true;
  exitWhenIdle();
});
