#!/usr/bin/env node
import { flagsThenPrompt, promptSaysPrime, standIn } from './stand-in-lib.js';

// auggie --allow-indexing '<beacon saying Run `gt prime`>'
standIn({
  name: 'auggie',
  agent: 'auggie',
  check: (argv) => [...flagsThenPrompt(argv, ['--allow-indexing']), ...promptSaysPrime(argv)],
});
