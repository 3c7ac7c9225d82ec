import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';

/** The first prompt of a Gas Town session: the beacon. */
export function isBeacon(text) {
  return typeof text === 'string' && text.startsWith('[GAS TOWN] ');
}

/** Problems unless `argv` is exactly `flags` followed by one beacon argument. */
export function flagsThenPrompt(argv, flags) {
  const problems = [];
  if (argv.length !== flags.length + 1)
    problems.push(`expected ${flags.length} flag(s) and the prompt, got ${argv.length} argument(s)`);
  flags.forEach((f, i) => {
    if (argv[i] !== f)
      problems.push(`argument ${i + 1} must be ${JSON.stringify(f)}, got ${JSON.stringify(argv[i])}`);
  });
  if (!isBeacon(argv[argv.length - 1])) problems.push('the last argument must be the beacon prompt');
  return problems;
}

/** Problems unless the prompt of a hookless agent tells it to run `gt prime`. */
export function promptSaysPrime(argv) {
  return String(argv[argv.length - 1]).includes('`gt prime') ? [] : ['the beacon must say "Run `gt prime`"'];
}

/**
 * Plays one agent CLI for presets.test.ts. `check(argv, env)` returns what is wrong with how it was
 * called (besides the common checks: GT_AGENT equal to `agent`, GT_ROLE set, NODE_OPTIONS and
 * CLAUDECODE absent). Called wrong: a message on stderr and exit 64. Called right: prints `readyPrompt`
 * (if any), writes `{ name, argv, env, cwd }` to the JSON file named by STAND_IN_RECORD, waits for one
 * line on stdin (checked by `checkLine` when given: exit 65), adds it as `stdin` and exits 0.
 */
export function standIn({ name, agent, check, readyPrompt, checkLine }) {
  const argv = process.argv.slice(2);
  const env = process.env;
  const problems = [];
  if (env.GT_AGENT !== agent) problems.push(`GT_AGENT must be ${agent}, got ${JSON.stringify(env.GT_AGENT)}`);
  if (env.GT_ROLE === undefined || env.GT_ROLE === '') problems.push('GT_ROLE is not set');
  for (const k of ['NODE_OPTIONS', 'CLAUDECODE']) if (k in env) problems.push(`${k} must not be set`);
  const record = env.STAND_IN_RECORD;
  if (record === undefined || !path.isAbsolute(record))
    problems.push('STAND_IN_RECORD must be an absolute path');
  problems.push(...check(argv, env));
  if (problems.length > 0) {
    process.stderr.write(`${name}: called wrong: ${problems.join('; ')}\nargv: ${JSON.stringify(argv)}\n`);
    process.exit(64);
  }
  const doc = { name, argv, env: { ...env }, cwd: process.cwd() };
  fs.writeFileSync(`${record}.tmp`, JSON.stringify(doc));
  fs.renameSync(`${record}.tmp`, record);
  if (readyPrompt !== undefined) process.stdout.write(readyPrompt);

  let buf = '';
  let done = false;
  const finish = (line) => {
    if (done) return;
    done = true;
    const wrong = checkLine === undefined ? [] : checkLine(line);
    if (wrong.length > 0) {
      process.stderr.write(`${name}: bad input: ${wrong.join('; ')}\nline: ${JSON.stringify(line)}\n`);
      process.exit(65);
    }
    fs.writeFileSync(record, JSON.stringify({ ...doc, stdin: line }));
    process.exit(0);
  };
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => {
    buf += chunk;
    const nl = buf.indexOf('\n');
    if (nl >= 0) finish(buf.slice(0, nl));
  });
  process.stdin.on('end', () => finish(buf));
}
