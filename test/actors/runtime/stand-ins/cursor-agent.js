#!/usr/bin/env node
import { flagsThenPrompt, standIn } from './stand-in-lib.js';

// cursor-agent -f '<beacon>'
standIn({ name: 'cursor-agent', agent: 'cursor', check: (argv) => flagsThenPrompt(argv, ['-f']) });
