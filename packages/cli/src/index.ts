export type { SignedJson } from './commands/sign';
export type { CliIo } from './io';
export { processIo } from './io';
export { runAura, USAGE } from './main';
