#!/usr/bin/env node
import { main } from '../dist/cli/gt/main.js';

process.exitCode = await main(process.argv);
