// The prettier plugin as a user outside this repository gets it (issue 23: "Cannot find package
// 'ppvc-dsl'"): the package is packed (`npm pack`) and installed into a project in a temporary
// directory, and prettier there loads the plugin by name, `--plugin ppvc-dsl/prettier-plugin` and
// `plugins: ["ppvc-dsl/prettier-plugin"]`. The install is made by hand, offline, as npm lays it
// out: the tarball unpacked to node_modules/ppvc-dsl and each of its declared dependencies (and
// prettier) linked from this repository's node_modules, so that the plugin finds only what the
// package ships and declares. The plugin's own imports are checked statically too.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from './helpers.js';
import { formatText } from '../src/format/printer.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; files: string[]; exports: Record<string, unknown> };
const MESSY = 'pipeline  p ;party alice=0\nparty bob = 1\nvideo v:[10,8,8,1] from alice  range[0,1]\n';

/** Every file the module at `file` imports, transitively (relative imports), and the packages it names. */
function importClosure(file: string, files = new Set<string>(), packages = new Set<string>()): { files: Set<string>; packages: Set<string> } {
  if (files.has(file)) return { files, packages };
  files.add(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\bfrom\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm)) {
    const spec = (m[1] ?? m[2] ?? m[3])!;
    if (spec.startsWith('.')) importClosure(resolve(dirname(file), spec), files, packages);
    else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return { files, packages };
}

test('dist/format/prettier-plugin.js imports only files the package ships and packages it depends on', () => {
  const entry = join(ROOT, 'dist', 'format', 'prettier-plugin.js');
  expect(pkg.exports['./prettier-plugin']).toBe('./dist/format/prettier-plugin.js');
  const { files, packages } = importClosure(entry);
  const unshipped = [...files].map((f) => relative(ROOT, f)).filter((f) => !pkg.files.some((d) => f.startsWith(`${d}/`)));
  expect(unshipped).toEqual([]);
  const builtins = new Set(builtinModules.flatMap((b) => [b, `node:${b}`]));
  expect([...packages].filter((p) => !builtins.has(p) && !(p in pkg.dependencies))).toEqual([]);
  // the check is sharp: it sees the parser's chevrotain, a dependency
  expect(packages).toContain('chevrotain');
});

describe('prettier loads the plugin by name from a project outside the repository', () => {
  let work: string;
  let project: string;

  /** A project with prettier installed and, given a tarball, the packed ppvc-dsl. */
  function makeProject(name: string, tarball: string | undefined): string {
    const dir = join(work, name);
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
    const link = (dep: string) => {
      mkdirSync(dirname(join(dir, 'node_modules', dep)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', dep), join(dir, 'node_modules', dep));
    };
    link('prettier');
    // npm's link of prettier's bin, which npx runs
    mkdirSync(join(dir, 'node_modules', '.bin'));
    symlinkSync(join('..', 'prettier', 'bin', 'prettier.cjs'), join(dir, 'node_modules', '.bin', 'prettier'));
    if (tarball) {
      const target = join(dir, 'node_modules', 'ppvc-dsl');
      mkdirSync(target);
      execFileSync('tar', ['xzf', tarball, '-C', target, '--strip-components=1']);
      const packed = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
      Object.keys(packed.dependencies).forEach(link);
    }
    writeFileSync(join(dir, 'messy.ppvc'), MESSY);
    writeFileSync(join(dir, 'tidy.ppvc'), formatText(MESSY));
    return dir;
  }

  /** `npx prettier ARGS` in `dir` (no download: prettier is in the project). */
  const prettier = (dir: string, args: string[]) => spawnSync('npx', ['--no', '--', 'prettier', ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, npm_config_offline: 'true' } });

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'ppvc-prettier-plugin-'));
    // dist/ is built by the Jest globalSetup; `prepare` would build it again
    const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work, ROOT], { encoding: 'utf8' })) as { filename: string }[];
    project = makeProject('project', join(work, packed[0]!.filename));
  }, 120_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test('prettier --plugin ppvc-dsl/prettier-plugin --check and a format', () => {
    const check = prettier(project, ['--plugin', 'ppvc-dsl/prettier-plugin', '--check', 'tidy.ppvc']);
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    const messy = prettier(project, ['--plugin', 'ppvc-dsl/prettier-plugin', '--check', 'messy.ppvc']);
    expect(messy.status).toBe(1);
    const formatted = prettier(project, ['--plugin', 'ppvc-dsl/prettier-plugin', 'messy.ppvc']);
    expect(formatted.stderr).toBe('');
    expect(formatted.stdout).toBe(formatText(MESSY));
    expect(formatted.stdout).toContain('party alice = 0\nparty bob   = 1\n');
  }, 120_000);

  test('"plugins": ["ppvc-dsl/prettier-plugin"] in .prettierrc, and prettier.format with it', () => {
    const dir = join(project, 'sub');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(project, '.prettierrc'), JSON.stringify({ plugins: ['ppvc-dsl/prettier-plugin'] }));
    writeFileSync(join(dir, 'messy.ppvc'), MESSY);
    const cli = prettier(dir, ['messy.ppvc']);
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toBe(formatText(MESSY));
    const script = "import * as prettier from 'prettier'; process.stdout.write(await prettier.format(process.argv[1], { parser: 'ppvc', plugins: ['ppvc-dsl/prettier-plugin'] }));";
    const api = spawnSync(process.execPath, ['--input-type=module', '-e', script, MESSY], { cwd: project, encoding: 'utf8' });
    expect(api.stderr).toBe('');
    expect(api.stdout).toBe(formatText(MESSY));
  }, 120_000);

  test('the check is sharp: without the package installed, prettier cannot find it', () => {
    const bare = makeProject('bare', undefined);
    const p = prettier(bare, ['--plugin', 'ppvc-dsl/prettier-plugin', 'messy.ppvc']);
    expect(p.status).not.toBe(0);
    expect(p.stderr).toContain("Cannot find package 'ppvc-dsl'");
  }, 120_000);
});
