#!/usr/bin/env node
import { main } from '../dist/cli-bundle/scripted-agent.js';

process.exit(await main(process.argv));
