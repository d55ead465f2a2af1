/**
 * Entry point of the sandbox token service daemon: `node token-service-main.ts <config.json>`, started
 * by `slipway sandbox up --registry-auth token` next to the registry. Logs one line per request, never
 * a credential or a token.
 */
import { readFileSync } from 'node:fs';
import { startTokenService, type TokenServiceConfig } from './token-service.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: token-service-main.ts <config.json>');
const config = JSON.parse(readFileSync(file, 'utf8')) as TokenServiceConfig;
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
await startTokenService(config, log);
log(`listening on https://${config.host}:${config.port}/token for ${config.service}`);
