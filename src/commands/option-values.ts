// The checks of option values that yargs leaves out, for every option of every command, read
// from the options each command declares (so no list of option names is kept by hand): a
// repeated option that takes one value (yargs makes it an array), an empty value (`-o` at the end
// of the line is '', which resolves to the working directory) and a number that is not one
// (`--seed abc` is NaN). Positionals are left to the commands: a missing file is their message.
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../diagnostics.js';

/** A command, whatever its argument type (each command declares its own: yargs's types have no common one). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandModule<object, any>;

/** `y` with the commands registered and their option values checked before anything runs. */
export function withCommands(y: Argv, commands: readonly AnyCommand[]): Argv {
  return y
    .command(commands as AnyCommand[])
    .middleware((argv) => checkOptionValues(argv, declaredOptions(y), positionalsOf(commands, String(argv._[0]))), true);
}

/**
 * The options the running command declares, by kind. yargs keeps them on the instance
 * (getOptions, which its type declarations leave out); the CLI tests of repeated options fail
 * if that changes.
 */
function declaredOptions(y: Argv): { array: string[]; boolean: string[] } {
  return (y as unknown as { getOptions(): { array: string[]; boolean: string[] } }).getOptions();
}

/** The positionals of a command, read from its command string ('check <file>', 'fmt [files..]'). */
function positionalsOf(commands: readonly AnyCommand[], name: string): Set<string> {
  const spec = commands.map((c) => String(c.command)).find((s) => s.split(' ')[0] === name) ?? '';
  return new Set([...spec.matchAll(/[<[]([a-z-]+)(?:\.\.)?[\]>]/g)].map((m) => m[1]!));
}

function checkOptionValues(argv: Record<string, unknown>, declared: { array: string[]; boolean: string[] }, positionals: Set<string>): void {
  const repeatable = new Set([...declared.array, ...declared.boolean]);
  for (const [k, v] of Object.entries(argv)) {
    // aliases (-o) and yargs's camel-case copies (videoInput) are the same option again
    if (k.length === 1 || /[A-Z]/.test(k) || k === '_' || k === '$0' || positionals.has(k)) continue;
    if (Array.isArray(v) && !repeatable.has(k)) throw new UserError(`--${k} is given more than once`);
    if (v === '') throw new UserError(`--${k} needs a value (it is empty)`);
    if (typeof v === 'number' && !Number.isFinite(v)) throw new UserError(`--${k}: expected a number`);
  }
}
