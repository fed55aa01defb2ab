#!/usr/bin/env node
// Compiled by `npm ci` (prepare) or `npm run build`.
import { main } from '../dist/cli/main.js';
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
