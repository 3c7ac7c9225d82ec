// Process groups: a child started detached leads its own group, so one signal reaches everything it
// started (git's helpers, a gate's background jobs). Node built-ins only: the git runner imports it.

/** Signals the process group led by `pid`; a group already gone is not an error. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group has exited.
  }
}

/** A running deadline of `groupDeadline`. */
export interface GroupDeadline {
  /** True once the deadline passed (SIGTERM was sent). */
  readonly timedOut: boolean;
  /** Stops both timers (the process ended). */
  cancel(): void;
}

/**
 * After `timeoutMs`, SIGTERM to the process group led by `pid`, then SIGKILL `graceMs` later unless
 * cancelled first.
 */
export function groupDeadline(pid: number | undefined, timeoutMs: number, graceMs: number): GroupDeadline {
  let timedOut = false;
  let forceKill: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(pid, 'SIGTERM');
    forceKill = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
  }, timeoutMs);
  return {
    get timedOut() {
      return timedOut;
    },
    cancel() {
      clearTimeout(timer);
      clearTimeout(forceKill);
    },
  };
}
