// The parser's grammar (src/syntax/parser.ts) in the words a user types, for the syntax diagrams
// and the EBNF: every terminal as it is written (`party`, `{`, `=`), each lexical category by the
// name grammar/ppvc.ebnf defines (NAME, NUMBER, SIZE, STRING, NEWLINE), never a token class name
// (`Party`, `LCurly`). It is read from the parser's own productions, so it cannot drift from what
// the parser accepts. The parser takes statement-specific words (layer kinds, options, protocol
// names) as generic arguments (`atom`); src/editor/language-syntax.ts replaces those with the
// checker's tables, and renders the result. This file stays at the syntax stage: it reads only
// the parser and the lexer.
import type { ISerializedGast, TokenType } from 'chevrotain';
import { ppvcParser } from './parser.js';
import { allTokens, keywords } from './tokens.js';

/** A grammar expression, as the diagrams and the EBNF show it. */
export type Syntax =
  /**
   * `literal`: typed as shown (`party`, `{`); else a category or placeholder (NAME, FILTERS), which
   * the EBNF writes as `ebnf` where that is set (a list item TOP is a NUMBER). `label`: the
   * parser's LABEL for it (`name`, `kind`).
   */
  | { type: 'Terminal'; text: string; literal: boolean; title?: string; ebnf?: string; label?: string }
  | { type: 'NonTerminal'; name: string; label?: string }
  | { type: 'Sequence'; items: Syntax[] }
  | { type: 'Choice'; alternatives: Syntax[] }
  | { type: 'Optional'; body: Syntax }
  /** `min` 0: zero or more; 1: one or more; with a separator between repetitions. */
  | { type: 'Repetition'; body: Syntax; min: 0 | 1; separator?: Syntax };

export interface SyntaxRule {
  name: string;
  body: Syntax;
}

/** The tokens that stand for many spellings, by the names the EBNF defines. */
export const TOKEN_CATEGORIES: Readonly<Record<string, { text: string; title: string }>> = {
  Identifier: { text: 'NAME', title: 'a name: letters, digits and _, starting with a letter or _; inner hyphens allowed (mp-spdz)' },
  NumberLiteral: { text: 'NUMBER', title: 'a number: 7, -0.5, 1e-3' },
  Dims: { text: 'SIZE', title: 'a size: 5x5, 2x3x1' },
  StringLiteral: { text: 'STRING', title: 'a double-quoted string, with JSON escapes' },
  Newline: { text: 'NEWLINE', title: 'the end of a line' },
};

/**
 * Tokens the parser accepts only so that the checker can report them well (a number glued to
 * letters, `3pc`, quoted whole): never valid, so the diagrams leave them out.
 */
const ERROR_TOKENS: ReadonlySet<string> = new Set(['GluedWord']);

const tokenByName = new Map(allTokens.map((t) => [t.name, t]));

/** A keyword's word: its pattern without the lookahead that ends it (`party(?![A-Za-z0-9_-])`). */
function keywordText(t: TokenType): string | undefined {
  return keywords.includes(t) ? (t.PATTERN as RegExp).source.replace(/\(\?!.*$/, '') : undefined;
}

/** Punctuation: a pattern of one (possibly escaped) character that is no letter or digit. */
function punctuationText(t: TokenType): string | undefined {
  const m = t.PATTERN instanceof RegExp ? /^\\?([^\w\s\\])$/.exec(t.PATTERN.source) : null;
  return m?.[1];
}

/** A token as the diagrams show it; throws for a token no one has said how to show. */
export function terminalOf(tokenName: string, label?: string): Extract<Syntax, { type: 'Terminal' }> {
  const t = tokenByName.get(tokenName);
  if (!t) throw new Error(`diagrams: unknown token ${tokenName}`);
  const literal = keywordText(t) ?? punctuationText(t);
  if (literal !== undefined) return { type: 'Terminal', text: literal, literal: true, ...(label ? { label } : {}) };
  const category = TOKEN_CATEGORIES[tokenName];
  if (!category) throw new Error(`diagrams: no display text for token ${tokenName}; add it to TOKEN_CATEGORIES in src/syntax/diagrams.ts`);
  return { type: 'Terminal', text: category.text, literal: false, title: category.title, ...(label ? { label } : {}) };
}

interface Gast extends ISerializedGast {
  name?: string;
  label?: string;
  terminalLabel?: string;
  separator?: Gast;
  definition?: Gast[];
}

function sequenceOf(items: Syntax[]): Syntax {
  return items.length === 1 ? items[0]! : { type: 'Sequence', items };
}

/** One production of chevrotain's serialized grammar; undefined for an error-only alternative. */
function fromGast(p: Gast): Syntax | undefined {
  const inner = () => sequenceOf((p.definition ?? []).map(fromGast).filter((x): x is Syntax => x !== undefined));
  switch (p.type) {
    case 'Terminal':
      return ERROR_TOKENS.has(p.name!) ? undefined : terminalOf(p.name!, p.terminalLabel);
    case 'NonTerminal':
      return { type: 'NonTerminal', name: p.name!, ...(p.label ? { label: p.label } : {}) };
    case 'Alternative':
      return (p.definition ?? []).every((d) => d.type === 'Terminal' && ERROR_TOKENS.has(d.name!)) ? undefined : inner();
    case 'Alternation':
      return { type: 'Choice', alternatives: p.definition!.map(fromGast).filter((x): x is Syntax => x !== undefined) };
    case 'Option':
      return { type: 'Optional', body: inner() };
    case 'Repetition':
      return { type: 'Repetition', body: inner(), min: 0 };
    case 'RepetitionMandatory':
      return { type: 'Repetition', body: inner(), min: 1 };
    case 'RepetitionWithSeparator':
      return { type: 'Optional', body: { type: 'Repetition', body: inner(), min: 1, separator: fromGast(p.separator!) } };
    case 'RepetitionMandatoryWithSeparator':
      return { type: 'Repetition', body: inner(), min: 1, separator: fromGast(p.separator!) };
  }
  throw new Error(`diagrams: unexpected production ${p.type}`);
}

/** Every rule of the parser, in its order, with terminals as the user types them. */
export function parserSyntax(): SyntaxRule[] {
  return (ppvcParser.getSerializedGastProductions() as Gast[]).map((r) => ({ name: r.name!, body: sequenceOf(r.definition!.map(fromGast).filter((x): x is Syntax => x !== undefined)) }));
}
