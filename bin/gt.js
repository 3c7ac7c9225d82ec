#!/usr/bin/env node
import { main } from '../dist/cli-bundle/gt.js';

process.exitCode = await main(process.argv);
