// The layers of src/: every import checked against the table in the README's "How the compiler
// is built", the one place that says what each folder may import. The imports are read with the
// TypeScript compiler's parser (static, type-only, re-exports and dynamic import()), so none is
// missed by a pattern. Before this test, stages imported later ones (check/ imported passes/ and
// the driver, passes/ imported check/) and two folders imported each other.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { ROOT } from './helpers.js';

const SRC = join(ROOT, 'src');

/** A folder of src/ (`check/`) or a file directly in it (`compile.ts`): what a row of the table names. */
type Unit = string;

interface Layering {
  /** The rows in the README's order, lowest first. */
  order: Unit[];
  mayImport: Map<Unit, Set<Unit>>;
}

/** The table of the README's "How the compiler is built": folder | holds | may import. */
function readLayering(readme: string): Layering {
  const section = /^## How the compiler is built\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme)?.[1];
  if (!section) throw new Error("the README has no section 'How the compiler is built'");
  const rows = [...section.matchAll(/^\| `([a-z-]+\/|[a-z-]+\.ts)` \|.*\| ([^|]+) \|$/gm)];
  const order = rows.map((r) => r[1]!);
  const mayImport = new Map<Unit, Set<Unit>>();
  rows.forEach((r, i) => {
    const cell = r[2]!.trim();
    const named = cell === 'every row above' ? order.slice(0, i) : cell === '—' ? [] : [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    mayImport.set(r[1]!, new Set(named));
  });
  return { order, mayImport };
}

function unitOf(srcRelative: string): Unit {
  const [first, ...rest] = srcRelative.split('/');
  return rest.length > 0 ? `${first}/` : first!;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The relative module specifiers of a file: import, import type, export … from, import(). */
function relativeImports(path: string, text: string): string[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const constants = new Map<string, string>();
  const collect = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && ts.isStringLiteral(node.initializer) && ts.getCombinedNodeFlags(node) & ts.NodeFlags.Const) {
      constants.set(node.name.text, node.initializer.text);
    }
    ts.forEachChild(node, collect);
  };
  collect(file);
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      // import(name) of a const string (an optional package the compiler must not resolve) is
      // read through the const; any other computed import() would escape this check
      const arg = node.arguments[0];
      const text = arg && ts.isStringLiteral(arg) ? arg.text : arg && ts.isIdentifier(arg) ? constants.get(arg.text) : undefined;
      if (text === undefined) throw new Error(`${path}: import() of a computed name`);
      out.push(text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      out.push(node.moduleReference.expression.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out.filter((s) => s.startsWith('.'));
}

interface Edge {
  from: string;
  to: string;
}

/** Every import of one src/ file into another, as paths relative to src/. */
function importEdges(): Edge[] {
  return sourceFiles(SRC).flatMap((path) =>
    relativeImports(path, readFileSync(path, 'utf8')).map((spec) => ({ from: relative(SRC, path), to: relative(SRC, resolve(dirname(path), spec)).replace(/\.js$/, '.ts') })),
  );
}

/** The imports the table does not allow, as `from -> to (unit may import: …)`. */
function violations(edges: Edge[], layering: Layering): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    if (to.startsWith('..')) {
      out.push(`${from} -> ${to}: outside src/`);
      continue;
    }
    const [a, b] = [unitOf(from), unitOf(to)];
    if (a === b) continue;
    const allowed = layering.mayImport.get(a);
    if (!allowed) out.push(`${from}: ${a} has no row in the table`);
    else if (!allowed.has(b)) out.push(`${from} -> ${to}: ${a} may import ${[...allowed].join(', ') || 'nothing'}`);
  }
  return out;
}

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const layering = readLayering(README);

test('the README table names the layers (so that the checks below check something)', () => {
  expect(layering.order.length).toBeGreaterThan(15);
  for (const stage of ['syntax/', 'check/', 'ir/', 'target/', 'passes/', 'emit/', 'backend/']) expect(layering.order).toContain(stage);
});

test('every folder and top-level file of src/ has a row, and every row names one', () => {
  const units = readdirSync(SRC)
    .filter((f) => statSync(join(SRC, f)).isDirectory() || f.endsWith('.ts'))
    .map((f) => (statSync(join(SRC, f)).isDirectory() ? `${f}/` : f));
  expect([...units].sort()).toEqual([...layering.order].sort());
});

test('a row names only rows above it: the layers have no cycle, and the stages are in pipeline order', () => {
  const problems: string[] = [];
  layering.order.forEach((unit, i) => {
    for (const named of layering.mayImport.get(unit)!) {
      const at = layering.order.indexOf(named);
      if (at < 0) problems.push(`${unit} may import ${named}, which has no row`);
      else if (at >= i) problems.push(`${unit} may import ${named}, which is not above it`);
    }
  });
  expect(problems).toEqual([]);
  const stages = ['syntax/', 'check/', 'passes/', 'emit/', 'backend/'].map((s) => layering.order.indexOf(s));
  expect(stages).toEqual([...stages].sort((x, y) => x - y));
});

test('every import in src/ is one the table allows', () => {
  const edges = importEdges();
  expect(edges.length).toBeGreaterThan(300);
  expect(violations(edges, layering)).toEqual([]);
});

test('the check finds an upward import, an unknown folder and a path outside src/', () => {
  const found = violations(
    [
      { from: 'check/check.ts', to: 'passes/optimizations.ts' },
      { from: 'nowhere/x.ts', to: 'ir/pipeline.ts' },
      { from: 'ir/pipeline.ts', to: '../package.json' },
      { from: 'passes/index.ts', to: 'ir/pipeline.ts' },
    ],
    layering,
  );
  expect(found).toEqual([
    expect.stringMatching(/^check\/check\.ts -> passes\/optimizations\.ts: check\/ may import /),
    'nowhere/x.ts: nowhere/ has no row in the table',
    'ir/pipeline.ts -> ../package.json: outside src/',
  ]);
});

test('the import reader sees type-only imports, re-exports, import() and no package', () => {
  const text = "import type { A } from './a.js';\nexport { B } from '../b.js';\nconst c = await import('./c.js');\nimport d from 'node:fs';\nimport e = require('./e.js');\n";
  expect(relativeImports('probe.ts', text)).toEqual(['./a.js', '../b.js', './c.js', './e.js']);
  expect(relativeImports('probe.ts', "const up = '../up.js';\nawait import(up);")).toEqual(['../up.js']);
  expect(() => relativeImports('probe.ts', 'let name = f();\nawait import(name);')).toThrow(/computed name/);
});
