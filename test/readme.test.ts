// The README's claims checked against the tool: every file it names exists, every `ppvc-dsl`
// command it shows exists and takes the options it is shown with, and every `npm run` script it
// names is in package.json. (The README drifted before: a missing example file, options a command
// rejected, counts that were out of date.)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const CLI = join(ROOT, 'dist', 'cli.js');

/** Text inside `code spans` and ``` fences: where the README shows what to type. */
function codeTexts(): string[] {
  const fences = [...README.matchAll(/^```[a-z]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  const outside = README.replace(/^```[a-z]*\n[\s\S]*?^```/gm, '');
  const spans = [...outside.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  return [...fences.flatMap((f) => f.split('\n')), ...spans];
}

/** Each `ppvc-dsl <command> …` invocation shown, without its trailing comment. */
function invocations(): { command: string; flags: string[]; text: string }[] {
  const out: { command: string; flags: string[]; text: string }[] = [];
  for (const code of codeTexts()) {
    for (const m of code.matchAll(/(?:^|[\s(&;|])ppvc-dsl ([a-z][a-z-]*)([^#]*)/g)) {
      const rest = m[2]!.split(/\s(?:&&|\||;)\s/)[0]!;
      const flags = [...rest.matchAll(/(?:^|\s|\[)(--[a-z][a-z0-9-]*)/g)].map((f) => f[1]!);
      out.push({ command: m[1]!, flags, text: `ppvc-dsl ${m[1]}${rest}`.trim() });
    }
  }
  return out;
}

const helpCache = new Map<string, string>();
function help(command: string): string {
  if (!helpCache.has(command)) {
    const r = spawnSync('node', [CLI, command, '--help'], { encoding: 'utf8', cwd: ROOT });
    helpCache.set(command, r.status === 0 ? r.stdout : '');
  }
  return helpCache.get(command)!;
}

test('the README shows at least the main commands (so that the checks below check something)', () => {
  const commands = new Set(invocations().map((i) => i.command));
  for (const c of ['check', 'build', 'run', 'import', 'simulate', 'prepare-video', 'deploy', 'audit', 'setup-mp-spdz']) expect(commands).toContain(c);
});

test('every ppvc-dsl command the README shows exists and takes the options shown with it', () => {
  const commands = new Set([...(spawnSync('node', [CLI, '--help'], { encoding: 'utf8' }).stdout.matchAll(/^ {2}ppvc-dsl ([a-z-]+)/gm))].map((m) => m[1]!));
  expect(commands.size).toBeGreaterThan(10);
  const problems: string[] = [];
  for (const { command, flags, text } of invocations()) {
    if (!commands.has(command)) {
      // prose such as "ppvc-dsl never modifies" is not an invocation: only words that look like commands count
      if (/^(check|build|run|import|export|deploy|random|audit|diagrams|fmt|report|simulate|prepare|setup)/.test(command)) problems.push(`${text}: no command '${command}'`);
      continue;
    }
    const h = help(command);
    for (const flag of flags) {
      const plain = flag.replace(/^--no-/, '--');
      if (!new RegExp(`(^|\\s)(${flag}|${plain})(\\s|,|$)`, 'm').test(h)) problems.push(`${text}: '${command}' has no option ${flag}`);
    }
  }
  expect(problems).toEqual([]);
});

test('every repository file the README names exists', () => {
  const named = new Set<string>();
  for (const code of codeTexts()) {
    for (const m of code.matchAll(/(?:^|[\s(])((?:src|test|examples|grammar|docs|editors|scripts|golden)\/[A-Za-z0-9_./-]+\.[a-z]+)\b/g)) named.add(m[1]!);
    // the "How the compiler is built" table names files relative to src/
    const inSrc = /^(syntax|check|ir|passes|emit|backend|import|reference|audit|simulate|report|video|inputs|editor|format|commands|util|bench|target)\/[A-Za-z0-9_./-]+\.ts$/.exec(code.trim());
    if (inSrc) named.add(`src/${inSrc[0]}`);
  }
  expect(named.size).toBeGreaterThan(20);
  expect([...named].filter((f) => !existsSync(join(ROOT, f)))).toEqual([]);
});

test('every `npm run` script the README names is in package.json', () => {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const named = [...README.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1]!);
  expect(named.length).toBeGreaterThan(0);
  expect(named.filter((n) => !(n in scripts))).toEqual([]);
});
