#!/usr/bin/env node
// The installed `slipway` command. It checks Node's version before loading the CLI, whose imports
// (node:sqlite among them) would otherwise fail on an older Node with a stack trace instead of a reason.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `slipway: expected Node 24 or newer, got ${process.version}: install Node 24 and put it first on PATH\n`,
  );
  process.exit(1);
}
await import('./main.ts');
