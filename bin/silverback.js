#!/usr/bin/env node
// Entry point of the `silverback` command (Kong's `kong` CLI). The TypeScript sources are compiled
// to dist/ by `npm install` (the `prepare` script) or `npm run build`.
import { main } from '../dist/cli/main.js'

main(process.argv.slice(2))
