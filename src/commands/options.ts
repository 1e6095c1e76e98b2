// The options several commands take, defined once: their names, types and help texts.
import type { Argv, CommandModule } from 'yargs';
import { OPTIMIZATION_NAMES } from '../target/optimizations.js';
import { PROTOCOL_NAMES } from '../target/protocols.js';

/**
 * A command of the command line (`commands/<name>-command.ts`), registered in cli.ts. Its handler
 * reads the arguments by name, as the builder's options parsed them.
 */
export type Command = CommandModule<object, Record<string, unknown>>;

export const protocolOption = {
  describe: "MPC protocol (overrides the pipeline's target)",
  choices: PROTOCOL_NAMES,
  type: 'string',
} as const;

export const styleOptions = {
  style: { choices: ['optimized', 'seed'] as const, default: 'optimized' as const, describe: "program style: 'seed' reproduces the paper's frame-by-frame program (the baseline of benchmarks)" },
  budget: { type: 'number', describe: "compile.py's optimisation budget -b (default: the pipeline's, else the protocol's)" },
  opt: {
    type: 'string',
    describe: `switch optimisations on or off on top of the style: comma-separated, no- for off (${OPTIMIZATION_NAMES.join(', ')}); default: the protocol's`,
  },
} as const;

/** A file the command reads, named on the command line: always a string (a file named 1 too). */
export function fileArgument(describe?: string) {
  return { type: 'string', demandOption: true, ...(describe !== undefined && { describe }) } as const;
}

/** -o/--out: where the command writes (a file or a directory, as its help says). */
export function outOption(describe: string, required = false) {
  return { alias: 'o', type: 'string', describe, ...(required && { demandOption: true }) } as const;
}

/** A command that reads one file and writes where -o/--out says: its positional and its --out. */
export function inputAndOutput<T>(y: Argv<T>, input: { name: string; describe?: string }, out: { describe: string; required?: boolean }) {
  return y.positional(input.name, fileArgument(input.describe)).option('out', outOption(out.describe, out.required));
}
