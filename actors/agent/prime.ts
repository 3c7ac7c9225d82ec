import fs from 'node:fs';
import { inbox } from '../../beads/mail.js';
import type { BeadStore } from '../../beads/store.types.js';
import type { Bead, Status } from '../../beads/types.js';
import { currentBranch } from '../git/head.js';
import { parseRigConfig, rigPaths } from '../rig/rig-config.js';
import type { AgentIdentity, AgentRole } from './identity.js';
import { renderRole } from './roles/index.js';

/** Why the bead is on the hook: first attempt, red gates to fix, or a rebase conflict to resolve. */
export type HookKind = 'work' | 'fix' | 'conflict';

/** The open merge request of the hooked bead (its `metadata.mr`). */
export interface HookMergeRequest {
  id: string;
  status: Status;
  /** `queued` | `merging` | `rejected` | `conflict` | `merged`, or null when the metadata has none. */
  state: string | null;
  branch: string | null;
  target: string | null;
  gate: string | null;
}

/** What is on an agent's hook (the contract's `hook`, plus the merge request). */
export interface PrimeHook {
  /** The WORK bead, also when a conflict bead is what was hooked. */
  bead: Bead;
  kind: HookKind;
  /** The failing gate's name (kind fix). */
  gate?: string;
  /** The failing gate's output (kind fix). */
  gate_output?: string;
  /** Kind conflict: the target branch, the ref to rebase onto (`origin/<target>`), the conflict bead. */
  conflict?: { target: string; onto: string; bead: string; files: string[] };
  merge_request: HookMergeRequest | null;
}

/** One unread message. */
export interface PrimeMail {
  id: string;
  from: string;
  subject: string;
  body: string;
  priority: number;
  created_at: string;
}

/** A gate of the agent's rig, as rig.json defines it. */
export interface PrimeGate {
  name: string;
  cmd: string;
}

/**
 * What `gt prime --json` prints (the shape of /tmp/helpers/loop-contract.md, which the scripted agent
 * parses), plus `town`, `name`, `gates` and `warnings`.
 */
export interface Prime {
  town: string;
  role: AgentRole;
  agent: string;
  rig: string | null;
  name: string | null;
  sandbox: string | null;
  /** The sandbox's current branch (null without a sandbox, or detached). */
  branch: string | null;
  hook: PrimeHook | null;
  mail: PrimeMail[];
  gates: PrimeGate[];
  /** The rig's default script (rig.json `script`), when it has one. */
  rig_script?: unknown;
  /** Things the agent should know that did not stop the briefing (a bad rig.json, ...). */
  warnings: string[];
}

/** Reading the store for a briefing failed: the hook is unknown, not empty. Code `prime.store_unreadable`. */
export class PrimeError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PrimeError';
    this.code = code;
  }
}

const NOT_WORK = new Set(['message', 'convoy', 'merge-request']);
const CONFLICT_LABEL = 'gt:conflict';

function record(value: unknown): Record<string, unknown> | null {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return null;
    }
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** `bead.metadata[key]` as an object (metadata may also be JSON text), or null. */
function meta(bead: Bead | null, key: string): Record<string, unknown> | null {
  if (bead === null) return null;
  return record(record(bead.metadata)?.[key]);
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function newestFirst(a: Bead, b: Bead): number {
  if (a.updated_at !== b.updated_at) return a.updated_at < b.updated_at ? 1 : -1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function isConflictBead(b: Bead): boolean {
  return (b.labels ?? []).includes(CONFLICT_LABEL) || meta(b, 'conflict') !== null;
}

function isWorkBead(b: Bead | null): b is Bead {
  return b !== null && !NOT_WORK.has(b.issue_type) && !isConflictBead(b) && b.status !== 'closed';
}

/** The work bead's open merge request (a `related` edge, else `metadata.mr.source`), newest first. */
function openMergeRequest(store: BeadStore, workId: string): Bead | null {
  const ids = new Set<string>();
  for (const d of store.dependencies(workId, 'up', 'related')) ids.add(d.issue_id);
  for (const d of store.dependencies(workId, 'down', 'related')) ids.add(d.depends_on_id);
  let mrs = store.getMany([...ids]).filter((b) => b.issue_type === 'merge-request' && b.status !== 'closed');
  if (mrs.length === 0)
    mrs = store.list({ type: ['merge-request'] }).filter((b) => str(meta(b, 'mr')?.['source']) === workId);
  return mrs.sort(newestFirst)[0] ?? null;
}

function mergeRequestInfo(mr: Bead | null): HookMergeRequest | null {
  if (mr === null) return null;
  const m = meta(mr, 'mr');
  return {
    id: mr.id,
    status: mr.status,
    state: str(m?.['state']),
    branch: str(m?.['branch']),
    target: str(m?.['target']),
    gate: str(m?.['gate']),
  };
}

/** The work bead a conflict bead is about: its `source`, else its merge request's source or edges. */
function conflictWorkBead(store: BeadStore, conflict: Bead, mr: Bead | null): Bead | null {
  const candidates = [str(meta(conflict, 'conflict')?.['source']), str(meta(mr, 'mr')?.['source'])];
  if (mr !== null)
    for (const d of mr.dependencies ?? []) if (d.type === 'related') candidates.push(d.depends_on_id);
  for (const id of candidates) {
    if (id === null) continue;
    const bead = store.get(id);
    if (isWorkBead(bead)) return bead;
  }
  return null;
}

/**
 * What is on `address`'s hook (loop contract): a conflict bead hooked to it comes first (the hook's bead
 * is then the work bead it is about, kind `conflict`); else its work bead (status hooked or in_progress,
 * assignee = address, not a message, convoy or merge request), kind `fix` when the bead's open merge
 * request is `rejected`, else `work`. Null when nothing is hooked. Reads only.
 */
export function findHook(
  store: BeadStore,
  address: string,
  options: { defaultBranch?: string | null } = {},
): PrimeHook | null {
  const assigned = store.list({ status: ['hooked', 'in_progress'], assignee: address }).sort(newestFirst);
  const conflict = assigned.find((b) => b.issue_type !== 'merge-request' && isConflictBead(b));
  const ownWork = assigned.find(isWorkBead) ?? null;
  if (conflict !== undefined) {
    const c = meta(conflict, 'conflict');
    const mrId = str(c?.['mr']);
    const named = mrId === null ? null : store.get(mrId);
    const work = conflictWorkBead(store, conflict, named) ?? ownWork;
    const mr = named ?? (work === null ? null : openMergeRequest(store, work.id));
    const info = mergeRequestInfo(mr);
    const onto = str(c?.['onto']);
    const target =
      info?.target ??
      (onto?.startsWith('origin/') === true ? onto.slice(7) : null) ??
      options.defaultBranch ??
      'main';
    const files = Array.isArray(c?.['files'])
      ? c['files'].filter((f): f is string => typeof f === 'string')
      : [];
    return {
      bead: work ?? conflict,
      kind: 'conflict',
      conflict: { target, onto: `origin/${target}`, bead: conflict.id, files },
      merge_request: info,
    };
  }
  if (ownWork === null) return null;
  const mr = openMergeRequest(store, ownWork.id);
  const info = mergeRequestInfo(mr);
  if (info?.state === 'rejected') {
    const m = meta(mr, 'mr');
    return {
      bead: ownWork,
      kind: 'fix',
      ...(info.gate === null ? {} : { gate: info.gate }),
      gate_output: typeof m?.['gate_output'] === 'string' ? m['gate_output'] : '',
      merge_request: info,
    };
  }
  return { bead: ownWork, kind: 'work', merge_request: info };
}

/** What a briefing takes from rig.json. */
export interface RigBriefing {
  gates: PrimeGate[];
  script?: unknown;
  defaultBranch: string | null;
  warnings: string[];
}

/**
 * rig.json's gates and default branch, and its optional `script` (the file is read as plain JSON, so a
 * `script` field the rig schema does not know is kept). Problems become warnings, never errors.
 */
export function readRigBriefing(townRoot: string, rig: string): RigBriefing {
  const file = rigPaths(townRoot, rig).config;
  let raw: Record<string, unknown> | null;
  try {
    raw = record(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (cause) {
    return {
      gates: [],
      defaultBranch: null,
      warnings: [`cannot read ${file} (${(cause as Error).message}): the rig's gates are unknown`],
    };
  }
  if (raw === null)
    return {
      gates: [],
      defaultBranch: null,
      warnings: [`${file} is not a JSON object: the rig's gates are unknown`],
    };
  const { script, ...rest } = raw;
  const extras: RigBriefing = { gates: [], defaultBranch: null, warnings: [] };
  if (script !== undefined) extras.script = script;
  try {
    const config = parseRigConfig(rest, file);
    extras.gates = config.gates.map((g) => ({ name: g.name, cmd: g.cmd }));
    extras.defaultBranch = config.default_branch;
  } catch (cause) {
    extras.warnings.push(`${(cause as Error).message} (the rig's gates are unknown)`);
  }
  return extras;
}

/** Options of `buildPrime`. */
export interface BuildPrimeOptions {
  townRoot: string;
  town: string;
  identity: AgentIdentity;
}

/**
 * The briefing of `identity`: its hook (findHook), the sandbox's branch (git), its unread mail, and its
 * rig's gates and default script. Only reads the store; a store failure propagates (the caller must
 * report it loudly, never as "no work": see renderPrimeFailure).
 */
export async function buildPrime(store: BeadStore, options: BuildPrimeOptions): Promise<Prime> {
  const { identity } = options;
  const rig = identity.rig === null ? null : readRigBriefing(options.townRoot, identity.rig);
  const hook = findHook(store, identity.address, { defaultBranch: rig?.defaultBranch ?? null });
  const mail = inbox(store, identity.address).map((m) => ({
    id: m.id,
    from: m.sender ?? '',
    subject: m.title,
    body: m.description ?? '',
    priority: m.priority,
    created_at: m.created_at,
  }));
  const branch = identity.sandbox === null ? null : await currentBranch(identity.sandbox);
  const warnings = [...(rig?.warnings ?? [])];
  if (hook !== null && identity.sandbox !== null && branch === null && identity.role === 'polecat')
    warnings.push(
      `cannot tell the branch of ${identity.sandbox} (missing, not a git work tree, or detached)`,
    );
  return {
    town: options.town,
    role: identity.role,
    agent: identity.address,
    rig: identity.rig,
    name: identity.name,
    sandbox: identity.sandbox,
    branch,
    hook,
    mail,
    gates: rig?.gates ?? [],
    ...(rig?.script === undefined ? {} : { rig_script: rig.script }),
    warnings,
  };
}

/** Options of `renderPrime`. */
export interface RenderOptions {
  /** `hook`: the one-line header of `gt prime --hook` (SessionStart hooks); default `full`. */
  mode?: 'full' | 'hook';
  /** The agent runtime's session, when its hook passed one on stdin. */
  session?: { id: string; source?: string | undefined } | null;
}

/** The GUPP line: printed whenever work is on the hook. */
export const GUPP_LINE = 'Work is on your hook: start now, no confirmation needed.';

function sessionText(options: RenderOptions): string | null {
  const s = options.session;
  if (s === undefined || s === null) return null;
  return `session ${s.id}${s.source === undefined ? '' : ` (${s.source})`}`;
}

function header(prime: Prime, options: RenderOptions): string[] {
  const session = sessionText(options);
  if (options.mode === 'hook') {
    const parts = [
      prime.agent,
      prime.role,
      prime.rig === null ? null : `rig ${prime.rig}`,
      prime.branch === null ? null : `branch ${prime.branch}`,
      session,
    ].filter((s): s is string => s !== null);
    return [`[gt prime --hook] ${parts.join(' · ')}`];
  }
  const lines = [
    `=== Gas Town: briefing for ${prime.agent} ===`,
    `You are ${prime.agent}, ${describeRole(prime)} in town ${prime.town}.`,
  ];
  if (prime.sandbox !== null)
    lines.push(
      `Your working directory: ${prime.sandbox}${prime.branch === null ? '' : ` (branch ${prime.branch})`}`,
    );
  if (session !== null) lines.push(`This is ${session}.`);
  return lines;
}

function describeRole(prime: Prime): string {
  switch (prime.role) {
    case 'polecat':
      return `a polecat (worker) of rig ${prime.rig ?? '?'}`;
    case 'crew':
      return `a crew member of rig ${prime.rig ?? '?'}`;
    case 'mayor':
      return 'the mayor (coordinator)';
    case 'deacon':
      return 'the deacon';
    case 'overseer':
      return 'the overseer (the person running the town)';
  }
}

function indent(text: string): string[] {
  return text.split('\n').map((l) => (l === '' ? '' : `    ${l}`));
}

function hookSection(prime: Prime): string[] {
  const hook = prime.hook;
  if (hook === null) return ['## Your hook', 'Nothing is on your hook.'];
  const b = hook.bead;
  const lines = [
    '## Your hook',
    GUPP_LINE,
    '',
    `${b.id}: ${b.title}`,
    `  type ${b.issue_type}, priority P${b.priority}, status ${b.status}, kind ${hook.kind}`,
  ];
  if (hook.merge_request !== null)
    lines.push(
      `  merge request ${hook.merge_request.id}: ${hook.merge_request.state ?? hook.merge_request.status}`,
    );
  if (b.description !== undefined && b.description.trim() !== '')
    lines.push('', 'Description:', ...indent(b.description.trimEnd()));
  if (b.acceptance_criteria !== undefined && b.acceptance_criteria.trim() !== '')
    lines.push('', 'Acceptance criteria:', ...indent(b.acceptance_criteria.trimEnd()));
  if (b.design !== undefined && b.design.trim() !== '')
    lines.push('', 'Design:', ...indent(b.design.trimEnd()));
  if (b.notes !== undefined && b.notes.trim() !== '') lines.push('', 'Notes:', ...indent(b.notes.trimEnd()));
  return lines;
}

function mailSection(prime: Prime): string[] {
  if (prime.mail.length === 0) return ['## Mail', 'No unread mail.'];
  const lines = [`## Mail (${prime.mail.length} unread, newest first)`];
  for (const m of prime.mail) {
    lines.push(`- ${m.id} [P${m.priority}] from ${m.from || '?'}: ${m.subject}`);
    const body = m.body.trim().split('\n');
    lines.push(...body.slice(0, 6).map((l) => `    ${l}`));
    if (body.length > 6) lines.push(`    ... (${body.length - 6} more lines: \`gt mail read ${m.id}\`)`);
  }
  lines.push('Mark a message read with `gt mail read <id>`; answer with `gt mail reply <id> -m "..."`.');
  return lines;
}

/**
 * The text an LLM agent reads at session start: a header, its role, the hooked bead (title,
 * description, acceptance criteria), what to do now (the role's checklist; for kind fix the gate
 * output, for kind conflict the rebase), then unread mail.
 */
export function renderPrime(prime: Prime, options: RenderOptions = {}): string {
  const sections: string[][] = [header(prime, options)];
  if (prime.warnings.length > 0) sections.push(['## Warnings', ...prime.warnings.map((w) => `- ${w}`)]);
  const role = renderRole(prime);
  sections.push(['## Your role', ...role.about]);
  sections.push(hookSection(prime));
  sections.push(['## What to do now', ...role.now]);
  sections.push(mailSection(prime));
  return `${sections.map((s) => s.join('\n')).join('\n\n')}\n`;
}

const BAR = '!'.repeat(78);

/**
 * The loud warning printed instead of a briefing when the store cannot be read: the hook is UNKNOWN,
 * so the agent must not run `gt done` (a failed read once looked like "no work" and lost a bead).
 */
export function renderPrimeFailure(identity: AgentIdentity, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  return `${[
    BAR,
    `WARNING: gt prime could not read the town's bead store for ${identity.address}.`,
    `  ${reason}`,
    '',
    'Your hook is UNKNOWN, not empty. Do NOT run `gt done`. Do not close, create or',
    're-assign beads, and do not start other work because "nothing is hooked".',
    'Keep any work in progress committed on your branch, wait a minute, then run',
    '`gt prime` again. If it keeps failing, tell the mayor (`gt mail send mayor`) or',
    'the person running the town.',
    BAR,
  ].join('\n')}\n`;
}
