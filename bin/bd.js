#!/usr/bin/env node
import { main } from '../dist/cli-bundle/bd.js';

process.exitCode = await main(process.argv);
