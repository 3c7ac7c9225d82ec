#!/usr/bin/env node
import { flagsThenPrompt, standIn } from './stand-in-lib.js';

// OPENCODE_PERMISSION='{"*":"allow"}' opencode '<beacon>'
standIn({
  name: 'opencode',
  agent: 'opencode',
  check: (argv, env) => {
    const problems = flagsThenPrompt(argv, []);
    let permission = null;
    try {
      permission = JSON.parse(env.OPENCODE_PERMISSION ?? 'null');
    } catch {
      permission = null;
    }
    if (permission?.['*'] !== 'allow')
      problems.push('OPENCODE_PERMISSION must allow everything: {"*":"allow"}');
    return problems;
  },
});
