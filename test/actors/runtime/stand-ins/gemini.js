#!/usr/bin/env node
import { flagsThenPrompt, standIn } from './stand-in-lib.js';

// gemini --approval-mode yolo '<beacon>'
standIn({
  name: 'gemini',
  agent: 'gemini',
  check: (argv) => flagsThenPrompt(argv, ['--approval-mode', 'yolo']),
});
