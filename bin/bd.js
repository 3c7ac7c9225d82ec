#!/usr/bin/env node
import { main } from '../dist/cli/bd/main.js';

process.exitCode = await main(process.argv);
