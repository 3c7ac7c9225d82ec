#!/usr/bin/env node
import { flagsThenPrompt, standIn } from './stand-in-lib.js';

// copilot --yolo '<beacon>'
standIn({ name: 'copilot', agent: 'copilot', check: (argv) => flagsThenPrompt(argv, ['--yolo']) });
