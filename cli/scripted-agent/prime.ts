import { execa } from 'execa';
import { z } from 'zod';
import { PrimeError } from './errors.js';
import { townCommand, townEnv } from './town-cli.js';

const hookSchema = z.looseObject({
  bead: z.looseObject({
    id: z.string(),
    title: z.string().optional(),
    metadata: z.unknown().optional(),
  }),
  kind: z.enum(['work', 'fix', 'conflict']),
  gate_output: z.string().optional(),
  conflict: z.looseObject({ target: z.string(), onto: z.string() }).optional(),
});

const primeSchema = z.looseObject({
  role: z.string().optional(),
  agent: z.string().optional(),
  rig: z.string().nullish(),
  sandbox: z.string().nullish(),
  branch: z.string().nullish(),
  hook: hookSchema.nullable(),
  mail: z
    .array(z.looseObject({ id: z.string(), from: z.string().optional(), subject: z.string().optional() }))
    .optional(),
  rig_script: z.unknown().optional(),
});

/** What `gt prime --json` tells the agent (only the fields it uses are checked). */
export type Prime = z.infer<typeof primeSchema>;

/** The bead on the hook and why it is there. */
export type Hook = NonNullable<Prime['hook']>;

/** Runs `gt prime --json` in `cwd` and parses it. Throws PrimeError when it fails or prints nonsense. */
export async function runPrime(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Prime> {
  const cmd = townCommand('gt', ['prime', '--json'], env);
  const r = await execa(cmd.file, cmd.args, {
    cwd,
    env: townEnv(env),
    reject: false,
    stdin: 'ignore',
    timeout: 60_000,
  });
  if (r.exitCode !== 0)
    throw new PrimeError(
      `gt prime --json failed (exit ${r.exitCode ?? 'none'}${r.failed && r.exitCode === undefined ? `: ${r.shortMessage}` : ''}): ${r.stderr.trim() || r.stdout.trim()}; pass --script <file> to run without a town`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(r.stdout);
  } catch (cause) {
    throw new PrimeError(`gt prime --json did not print JSON: ${r.stdout.slice(0, 200)}`, { cause });
  }
  const parsed = primeSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PrimeError(
      `gt prime --json printed an unexpected shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? ''}`,
    );
  }
  return parsed.data;
}

/** The script a hooked bead carries in `metadata.script` (metadata may be an object or JSON text). */
export function beadScript(hook: Hook): unknown {
  let metadata = hook.bead.metadata;
  if (typeof metadata === 'string') {
    try {
      metadata = JSON.parse(metadata) as unknown;
    } catch {
      return undefined;
    }
  }
  if (metadata === null || typeof metadata !== 'object') return undefined;
  return (metadata as Record<string, unknown>)['script'];
}
