#!/usr/bin/env node
import { main } from '../dist/cli/scripted-agent/main.js';

process.exit(await main(process.argv));
