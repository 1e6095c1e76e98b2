// No function in src/ over 100 lines without the reason written next to it: a comment above it
// that starts `Long:` (issue 20: the god functions of the checker, the importers and the CLI
// were split; what stays long says why). Read with the TypeScript compiler's parser.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { ROOT } from './helpers.js';

const LIMIT = 100;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

interface LongFunction {
  where: string;
  lines: number;
  reason?: string;
}

/** The functions of a file over LIMIT lines, with the `Long:` comment above each, if any. */
function longFunctions(path: string, text: string): LongFunction[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const out: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = file.getLineAndCharacterOfPosition(node.getStart()).line;
      const lines = file.getLineAndCharacterOfPosition(node.end).line - first + 1;
      if (lines > LIMIT) {
        // the comment sits above the declaration: the statement for `const f = () => …`
        let holder: ts.Node = node;
        while (holder.parent && !ts.isSourceFile(holder.parent) && !ts.isClassDeclaration(holder.parent) && !ts.isBlock(holder.parent)) holder = holder.parent;
        const comments = (ts.getLeadingCommentRanges(text, holder.getFullStart()) ?? []).map((c) => text.slice(c.pos, c.end));
        const reason = comments.map((c) => /Long:\s*(.+)/.exec(c)?.[1]).find((r) => r !== undefined);
        out.push({ where: `${relative(ROOT, path)}:${first + 1}`, lines, ...(reason ? { reason } : {}) });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

test(`every function over ${LIMIT} lines says why next to it`, () => {
  const all = sourceFiles(join(ROOT, 'src')).flatMap((p) => longFunctions(p, readFileSync(p, 'utf8')));
  expect(all.filter((f) => !f.reason).map((f) => `${f.where} (${f.lines} lines)`)).toEqual([]);
});

test('the check finds a long function, and takes a Long: comment for its reason', () => {
  const body = Array.from({ length: LIMIT + 5 }, (_, i) => `  const x${i} = ${i};`).join('\n');
  expect(longFunctions('probe.ts', `function f() {\n${body}\n}\n`)).toEqual([{ where: 'probe.ts:1', lines: LIMIT + 7 }]);
  const withReason = `// Long: one case per op, in the order the format lists them\nconst g = () => {\n${body}\n};\n`;
  expect(longFunctions('probe.ts', withReason)).toEqual([{ where: 'probe.ts:2', lines: LIMIT + 7, reason: 'one case per op, in the order the format lists them' }]);
  expect(longFunctions('probe.ts', `function h() {\n  return 1;\n}\n`)).toEqual([]);
});
