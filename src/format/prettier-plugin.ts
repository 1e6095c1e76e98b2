// A prettier 3 plugin for .ppvc files, sharing ppvc-dsl's printer (src/format/printer.ts): the
// output is exactly `ppvc-dsl fmt`'s.
//
//   npx prettier --plugin ppvc-dsl/prettier-plugin --write '**/*.ppvc'
//   (or "plugins": ["ppvc-dsl/prettier-plugin"] in .prettierrc), in a project where ppvc-dsl is
//   installed; the package exports this file by that name. It imports only the formatter, the
//   parser and chevrotain (test/prettier-plugin.test.ts), none of the compiler's heavy parts.
//
// The parser formats (so that a syntax error is a parse error, shown by prettier with a code
// frame); the printer returns the formatted text. The style is fixed: prettier's printWidth,
// tabWidth and useTabs options do not apply (endOfLine does: prettier converts the line breaks).
import type { Parser, Printer, SupportLanguage } from 'prettier';
import { formatSource } from './printer.js';

export interface PpvcPrettierAst {
  type: 'ppvc-file';
  text: string;
  formatted: string;
}

export const languages: SupportLanguage[] = [
  {
    name: 'ppvc',
    parsers: ['ppvc'],
    extensions: ['.ppvc'],
    vscodeLanguageIds: ['ppvc'],
    tmScope: 'source.ppvc',
  },
];

/** A syntax error as prettier reports it (message and location, prettier adds the code frame). */
class PpvcSyntaxError extends SyntaxError {
  constructor(
    message: string,
    readonly loc: { start: { line: number; column: number }; end?: { line: number; column: number } },
  ) {
    super(message);
  }
}

export const parsers: Record<string, Parser<PpvcPrettierAst>> = {
  ppvc: {
    astFormat: 'ppvc',
    parse(text: string, options?: { filepath?: string }): PpvcPrettierAst {
      const r = formatSource({ path: options?.filepath ?? '<input>.ppvc', text });
      if (!r.ok) {
        const first = r.diagnostics.find((d) => d.severity === 'error') ?? r.diagnostics[0]!;
        const more = r.diagnostics.length > 1 ? ` (and ${r.diagnostics.length - 1} more)` : '';
        const where = first.span ? { start: { line: first.span.line, column: first.span.col }, end: { line: first.span.line, column: first.span.col + first.span.length } } : { start: { line: 1, column: 1 } };
        const detail = [first.expected !== undefined ? `expected ${first.expected}` : '', first.found !== undefined ? `found ${first.found}` : ''].filter(Boolean).join(', ');
        throw new PpvcSyntaxError(`${first.message}${detail ? ` (${detail})` : ''}${more}`, where);
      }
      return { type: 'ppvc-file', text, formatted: r.text };
    },
    locStart: () => 0,
    locEnd: (node: PpvcPrettierAst) => node.text.length,
  },
};

export const printers: Record<string, Printer<PpvcPrettierAst>> = {
  ppvc: {
    print: (path) => path.node.formatted,
  },
};

export default { languages, parsers, printers };
