import { git, gitOk, gitRetry } from '../git/git.js';
import type { GitOptions } from '../git/git.js';
import { pushTook } from '../git/push-report.js';
import { DEFAULT_GATE_OUTPUT_BYTES, runGate } from './gates.js';
import type { GateSpec } from './gates.js';
import {
  branchCommits,
  committerEnv,
  headCommit,
  looseRefIs,
  MergeEngineError,
  NON_FAST_FORWARD,
  REBASE_CONFIG,
  remoteHead,
  remoteRef,
  resetWorktree,
} from './merge-engine.js';

/** One merge request of a batch. */
export interface BatchItem {
  id: string;
  branch: string;
}

/** What became of one merge request of a batch. */
export type BatchOutcome =
  | { id: string; kind: 'merged'; sha: string; alreadyMerged: boolean }
  | { id: string; kind: 'conflict'; files: string[]; onto: string }
  | { id: string; kind: 'rejected'; gate: string; output: string }
  | { id: string; kind: 'missing'; reason: string }
  /** Not decided in this pass (after the culprit of a red batch, or a lost push race): run again. */
  | { id: string; kind: 'deferred'; reason: string };

/** Options of `mergeBatch`. */
export interface BatchInput {
  worktree: string;
  target: string;
  items: readonly BatchItem[];
  gates: readonly GateSpec[];
  env?: Record<string, string>;
  log?: (line: string) => void;
  /** Runs git operations that update the shared repository's remote-tracking refs (fetch, push). */
  exclusive?: <T>(work: () => Promise<T>) => Promise<T>;
  /**
   * False: start from the remote-tracking refs as they are, without fetching. They stay current when the
   * rig's own pushes are what moves origin (a push updates the matching `refs/remotes/origin/*`, and the
   * polecats push from worktrees of the same repository). Only merges are kept from such a pass: if
   * anything else came of it (a conflict, a red gate, a missing branch, a refused push) and origin's
   * target is not where the pass left it, those merge requests are decided again after a fetch.
   * Default true.
   */
  fetch?: boolean;
}

/** One pass's outcomes, and where it left `origin/<target>`. */
interface Pass {
  outcomes: BatchOutcome[];
  tip: string;
  refused: boolean;
}

type GateVerdict = { ok: true } | { ok: false; gate: string; output: string };

/**
 * Lands a batch of merge requests in one pass (Bors): each branch's own commits are cherry-picked, in
 * queue order, onto origin/<target> (a branch that conflicts with the stack so far is left out with its
 * files; one already on the target is finished); the gates run once on the whole stack; green pushes it
 * without force and verifies the upstream. A red stack is bisected: the first merge request whose prefix
 * is red is rejected with that gate's output, the prefix before it lands, and the rest wait for the
 * next pass. A red gate is never overridden; nothing that was not gated green is ever pushed. With
 * `fetch: false` the pass starts from the remote-tracking refs as they are (see BatchInput.fetch).
 */
export async function mergeBatch(input: BatchInput): Promise<BatchOutcome[]> {
  const first = await mergePass(input);
  const undecided = first.outcomes.filter((o) => o.kind !== 'merged');
  if (input.fetch !== false || undecided.length === 0) return first.outcomes;
  const stale =
    first.refused ||
    undecided.some((o) => o.kind === 'missing') ||
    (await remoteHead(input.target, { cwd: input.worktree })) !== first.tip;
  if (!stale) return first.outcomes;
  input.log?.(`origin/${input.target} was not current: deciding ${undecided.length} again after a fetch`);
  const again = new Set(undecided.map((o) => o.id));
  const second = await mergePass({
    ...input,
    fetch: true,
    items: input.items.filter((i) => again.has(i.id)),
  });
  const decided = new Map(second.outcomes.map((o) => [o.id, o]));
  return first.outcomes.map((o) => decided.get(o.id) ?? o);
}

async function mergePass(input: BatchInput): Promise<Pass> {
  const log = input.log ?? (() => undefined);
  const at: GitOptions = { cwd: input.worktree };
  const exclusive = input.exclusive ?? (<T>(work: () => Promise<T>) => work());
  const { target } = input;

  if (input.fetch !== false) await exclusive(() => gitRetry(['fetch', '--quiet', '--prune', 'origin'], at));
  const sources = await remoteBranches([target, ...input.items.map((i) => i.branch)], at);
  const onto = sources.get(target) ?? null;
  if (onto === null)
    throw new MergeEngineError(
      'refinery.no_target',
      `origin has no branch ${target}: check the rig's default_branch`,
      {
        details: { worktree: input.worktree, target },
      },
    );
  await resetWorktree(onto, at);
  const env = await committerEnv(at);

  const outcomes = new Map<string, BatchOutcome>();
  const stack: Array<{ id: string; head: string }> = [];
  let head = onto;
  for (const item of input.items) {
    const source = sources.get(item.branch) ?? null;
    if (source === null) {
      outcomes.set(item.id, {
        id: item.id,
        kind: 'missing',
        reason: `branch ${item.branch} is not on origin`,
      });
      continue;
    }
    const { commits, pending } = await branchCommits(onto, source, at);
    if (!pending) {
      outcomes.set(item.id, { id: item.id, kind: 'merged', sha: onto, alreadyMerged: true });
      continue;
    }
    const pick = await gitOk(
      [...REBASE_CONFIG, 'cherry-pick', '--allow-empty', '--keep-redundant-commits', ...commits],
      {
        ...at,
        env,
      },
    );
    if (pick.code !== 0) {
      const out = await git(['diff', '--name-only', '--diff-filter=U'], at);
      const files = [...new Set(out.split('\n').filter((f) => f !== ''))];
      await gitOk(['cherry-pick', '--abort'], at);
      await git(['reset', '--quiet', '--hard', head], at);
      await git(['clean', '-q', '-fdx'], at);
      if (files.length === 0)
        throw new MergeEngineError(
          'refinery.rebase_failed',
          `applying ${item.branch} onto ${target} stopped without a conflicting file: ${pick.stderr}`,
          { details: { branch: item.branch, stderr: pick.stderr } },
        );
      log(`conflict applying ${item.branch}: ${files.join(', ')}`);
      outcomes.set(item.id, { id: item.id, kind: 'conflict', files, onto });
      continue;
    }
    head = await headCommit(at);
    stack.push({ id: item.id, head });
  }

  // The first run is on the stack just built from a clean tree; a bisection step resets and cleans.
  const gates = async (sha: string, fresh = false): Promise<GateVerdict> => {
    if (!fresh) {
      await git(['reset', '--quiet', '--hard', sha], at);
      await git(['clean', '-q', '-fdx'], at);
    }
    for (const gate of input.gates) {
      const r = await runGate(gate, {
        cwd: input.worktree,
        ...(input.env === undefined ? {} : { env: input.env }),
        maxOutputBytes: DEFAULT_GATE_OUTPUT_BYTES,
      });
      log(`gate ${gate.name} on ${sha.slice(0, 12)}: ${r.ok ? 'passed' : 'failed'} in ${r.durationMs} ms`);
      if (!r.ok) return { ok: false, gate: gate.name, output: r.output };
    }
    return { ok: true };
  };

  let landCount = stack.length;
  let tip = onto;
  let refused = false;
  if (stack.length > 0) {
    const verdict = await gates(head, true);
    if (!verdict.ok) {
      // The smallest red prefix: its last merge request is the culprit (prefixes of a red one stay red).
      let lo = 0;
      let hi = stack.length - 1;
      let culprit = verdict;
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        const v = await gates((stack[mid] as { head: string }).head);
        if (v.ok) lo = mid + 1;
        else {
          hi = mid;
          culprit = v;
        }
      }
      landCount = lo;
      const bad = stack[lo] as { id: string };
      outcomes.set(bad.id, { id: bad.id, kind: 'rejected', gate: culprit.gate, output: culprit.output });
      for (const s of stack.slice(lo + 1))
        outcomes.set(s.id, {
          id: s.id,
          kind: 'deferred',
          reason: `queued behind ${bad.id}, which failed ${culprit.gate}`,
        });
    }
  }

  if (landCount > 0) {
    const landing = (stack[landCount - 1] as { head: string }).head;
    const pushed = await exclusive(async () => {
      const args = ['push', '--porcelain', 'origin', `${landing}:refs/heads/${target}`];
      let push = await gitOk(args, at);
      for (
        let i = 0;
        i < 5 && push.code !== 0 && /cannot lock ref|\.lock'?: File exists/.test(push.stderr);
        i++
      ) {
        await new Promise((r) => setTimeout(r, 50 * (i + 1)));
        push = await gitOk(args, at);
      }
      const said = `${push.stdout}\n${push.stderr}`;
      if (push.code !== 0 && NON_FAST_FORWARD.test(said)) return false;
      if (push.code !== 0)
        throw new MergeEngineError(
          'refinery.push_failed',
          `git push ${landing}:${target} failed: ${said.trim()}`,
        );
      // The remote's report of the target is the verification; when it does not say, the remote is asked.
      const landed = pushTook(push.stdout, `refs/heads/${target}`) ? landing : await remoteHead(target, at);
      // What was pushed is what the remote has: record it without another fetch; else look again.
      if (landed === landing) {
        if (!(await looseRefIs(remoteRef(target), landing, at)))
          await gitRetry(['update-ref', remoteRef(target), landing], at);
        return true;
      }
      await gitRetry(['fetch', '--quiet', '--prune', 'origin'], at);
      const onTop =
        landed !== null &&
        (await gitOk(['merge-base', '--is-ancestor', landing, remoteRef(target)], at)).code === 0;
      if (!onTop)
        throw new MergeEngineError(
          'refinery.push_not_landed',
          `pushed ${landing} to ${target} but origin's ${target} is at ${landed ?? 'nothing'}: check the upstream and merge again`,
        );
      return true;
    });
    if (pushed) tip = landing;
    else refused = true;
    for (const [i, s] of stack.slice(0, landCount).entries())
      outcomes.set(
        s.id,
        pushed
          ? { id: s.id, kind: 'merged', sha: (stack[i] as { head: string }).head, alreadyMerged: false }
          : { id: s.id, kind: 'deferred', reason: `${target} moved during the push: merging again` },
      );
    log(pushed ? `landed ${landCount} on ${target} at ${landing}` : `${target} moved: the batch runs again`);
  }
  return {
    outcomes: input.items.map(
      (i) => outcomes.get(i.id) ?? { id: i.id, kind: 'deferred', reason: 'not reached' },
    ),
    tip,
    refused,
  };
}

/**
 * The commits of the remote-tracking refs of `branches` (one git call), absent for a branch origin
 * lacks (or had at the last fetch).
 */
async function remoteBranches(branches: readonly string[], at: GitOptions): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (branches.length === 0) return out;
  const refs = branches.map((b) => remoteRef(b));
  const listed = await git(['for-each-ref', '--format=%(objectname) %(refname)', ...refs], at);
  for (const line of listed.split('\n')) {
    const [sha, ref] = line.split(' ');
    const i = ref === undefined ? -1 : refs.indexOf(ref);
    if (sha !== undefined && i >= 0) out.set(branches[i] as string, sha);
  }
  return out;
}
