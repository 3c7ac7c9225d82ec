#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { flagsThenPrompt, isBeacon, standIn } from './stand-in-lib.js';

// claude --dangerously-skip-permissions --settings <cwd>/.claude/settings.json '<beacon>'
standIn({
  name: 'claude',
  agent: 'claude',
  readyPrompt: '❯ ',
  check: (argv) => {
    const settings = argv[2];
    const problems = flagsThenPrompt(argv, [
      '--dangerously-skip-permissions',
      '--settings',
      String(settings),
    ]);
    if (typeof settings !== 'string' || !path.isAbsolute(settings) || !fs.existsSync(settings))
      return [...problems, `--settings must name an existing file, got ${JSON.stringify(settings)}`];
    const hooks = JSON.parse(fs.readFileSync(settings, 'utf8')).hooks ?? {};
    const start = hooks.SessionStart?.[0]?.hooks?.[0]?.command ?? '';
    if (!start.includes('gt prime --hook')) problems.push('the SessionStart hook must run `gt prime --hook`');
    if (!isBeacon(argv[3]) || !argv[3].includes('gt prime --hook'))
      problems.push('the prompt must be the beacon');
    return problems;
  },
});
