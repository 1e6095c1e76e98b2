// Writes editors/ (the TextMate grammar and the VS Code extension) from the lexer and the
// checker's tables:
//   node dist/editor/write-editor-files.js           rewrite editors/*
//   node dist/editor/write-editor-files.js --check   exit 1 if editors/ is not up to date
// and, with --diagrams (`npm run editors`), grammar/ too: the syntax diagrams
// (syntax-diagrams.html) and the EBNF (ppvc.ebnf). --root DIR names the repository (default: the
// one this file was built in).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { editorFiles } from './vscode-extension.js';
import { offlineSyntaxDiagramsHtml } from './diagrams-offline.js';
import { ebnfText } from './ebnf.js';
import { writeFileAtomic } from '../util/files.js';

export function generatedFiles(root: string, withDiagrams: boolean): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, text] of Object.entries(editorFiles())) files[join(root, 'editors', name)] = text;
  if (withDiagrams) {
    files[join(root, 'grammar', 'syntax-diagrams.html')] = offlineSyntaxDiagramsHtml();
    files[join(root, 'grammar', 'ppvc.ebnf')] = ebnfText();
  }
  return files;
}

function main(argv: string[]): number {
  const at = argv.indexOf('--root');
  const root = at >= 0 && argv[at + 1] ? resolve(argv[at + 1]!) : resolve(import.meta.dirname, '..', '..');
  const check = argv.includes('--check');
  const files = generatedFiles(root, argv.includes('--diagrams'));
  const stale = Object.entries(files).filter(([path, text]) => !existsSync(path) || readFileSync(path, 'utf8') !== text);
  if (check) {
    for (const [path] of stale) process.stderr.write(`${path} is not up to date: run node dist/editor/write-editor-files.js${argv.includes('--diagrams') ? ' --diagrams' : ''}\n`);
    return stale.length > 0 ? 1 : 0;
  }
  for (const [path, text] of stale) {
    writeFileAtomic(path, text);
    process.stdout.write(`wrote ${path}\n`);
  }
  if (stale.length === 0) process.stdout.write('editor files are up to date\n');
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) process.exitCode = main(process.argv.slice(2));
