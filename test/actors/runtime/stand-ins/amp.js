#!/usr/bin/env node
import { flagsThenPrompt, promptSaysPrime, standIn } from './stand-in-lib.js';

// amp --dangerously-allow-all --no-ide '<beacon saying Run `gt prime`>'
standIn({
  name: 'amp',
  agent: 'amp',
  check: (argv) => [
    ...flagsThenPrompt(argv, ['--dangerously-allow-all', '--no-ide']),
    ...promptSaysPrime(argv),
  ],
});
