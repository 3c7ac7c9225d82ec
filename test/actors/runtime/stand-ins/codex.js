#!/usr/bin/env node
import { standIn } from './stand-in-lib.js';

// codex --dangerously-bypass-approvals-and-sandbox (no prompt argument: the beacon is typed in)
standIn({
  name: 'codex',
  agent: 'codex',
  readyPrompt: '› ',
  check: (argv) =>
    argv.length === 1 && argv[0] === '--dangerously-bypass-approvals-and-sandbox'
      ? []
      : [
          `expected exactly --dangerously-bypass-approvals-and-sandbox (no prompt), got ${JSON.stringify(argv)}`,
        ],
  checkLine: (line) =>
    line.startsWith('[GAS TOWN] ') && line.includes('`gt prime')
      ? []
      : ['the nudge must be the beacon saying `gt prime`'],
});
