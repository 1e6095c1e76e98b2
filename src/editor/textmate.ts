// The TextMate grammar of .ppvc files (editors/ppvc.tmLanguage.json, used by VS Code, GitHub's
// linguist, Shiki, Sublime...), GENERATED from the lexer's token definitions in
// src/syntax/tokens.ts so that editors colour exactly the tokens the compiler reads:
// one `match` rule per chevrotain token, in the lexer's order (chevrotain takes the first
// pattern that matches at a position, TextMate the first rule whose match starts earliest: with
// every token's pattern present and in the same order the two split a line the same way).
// Identifiers that are words of the language (layer kinds, option keys and values, protocol
// names, `argmax`, `input`: language-syntax.ts, from the checker's tables) get their own scope;
// they are still single identifier tokens.
//
// editors/ files are written by `node dist/editor/write-editor-files.js` (--check compares; the
// VS Code extension around the grammar is vscode-extension.ts); test/textmate.test.ts fails when
// the committed files are not the generated ones.
import type { TokenType } from 'chevrotain';
import { allTokens, keywords } from '../syntax/tokens.js';
import { type WordClass, languageWords } from './language-syntax.js';

export const SCOPE_NAME = 'source.ppvc';
export const LANGUAGE_ID = 'ppvc';

export interface TextMateRule {
  name?: string;
  match?: string;
  include?: string;
  comment?: string;
  patterns?: TextMateRule[];
}

export interface TextMateGrammar {
  $schema: string;
  name: string;
  scopeName: string;
  fileTypes: string[];
  comment: string;
  patterns: TextMateRule[];
  repository: Record<string, TextMateRule>;
}

/** Statement keywords (the first word of a statement); the other keywords are connectives. */
const STATEMENT_KEYWORDS = new Set(['pipeline', 'party', 'video', 'select', 'model', 'classify', 'reveal', 'target']);

/** The scope of each token type (by chevrotain token name); `undefined`: no rule (skipped). */
function scopeOf(t: TokenType): string | undefined {
  const word = keywords.includes(t) ? (t.PATTERN as RegExp).source.replace(/\(\?!.*$/, '') : undefined;
  if (word) return STATEMENT_KEYWORDS.has(word) ? `keyword.control.${word}.ppvc` : `keyword.other.${word}.ppvc`;
  const scopes: Record<string, string | undefined> = {
    WhiteSpace: undefined,
    Newline: undefined,
    Comment: 'comment.line.number-sign.ppvc',
    StringLiteral: 'string.quoted.double.ppvc',
    Dims: 'constant.numeric.size.ppvc',
    NumberLiteral: 'constant.numeric.ppvc',
    // a number glued to letters (3pc): never valid where a number or name is expected
    GluedWord: 'invalid.illegal.glued-word.ppvc',
    Identifier: 'variable.other.name.ppvc',
    Equals: 'keyword.operator.assignment.ppvc',
    Colon: 'punctuation.separator.colon.ppvc',
    Semicolon: 'punctuation.terminator.statement.ppvc',
    Comma: 'punctuation.separator.comma.ppvc',
    LBracket: 'punctuation.section.brackets.begin.ppvc',
    RBracket: 'punctuation.section.brackets.end.ppvc',
    LCurly: 'punctuation.section.block.begin.ppvc',
    RCurly: 'punctuation.section.block.end.ppvc',
    LParen: 'punctuation.section.parens.begin.ppvc',
    RParen: 'punctuation.section.parens.end.ppvc',
  };
  if (!(t.name in scopes)) throw new Error(`textmate: no scope for token ${t.name}; add it to src/editor/textmate.ts`);
  return scopes[t.name];
}

/**
 * A JavaScript regular expression source (as chevrotain patterns are written) in Oniguruma's
 * syntax. The token patterns use only what the two share, except that a bare `{`, `}` or `]` is
 * a literal in JavaScript and is escaped here.
 */
export function toOniguruma(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      out += c + (source[i + 1] ?? '');
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // a leading ']' or '^]' is a literal inside the class
      if (source[i + 1] === '^') out += source[++i];
      continue;
    }
    if (c === '{') {
      const q = /^\{\d+(,\d*)?\}/.exec(source.slice(i));
      if (q && i > 0) {
        out += q[0];
        i += q[0].length - 1;
      } else out += '\\{';
      continue;
    }
    if (c === '}' || c === ']') {
      out += '\\' + c;
      continue;
    }
    out += c;
  }
  return out;
}

const WORD_END = '(?![A-Za-z0-9_-])';

/** The scope of each class of words; every word of the language gets one (test/textmate.test.ts). */
export const WORD_SCOPES: Readonly<Record<WordClass, string>> = {
  layer: 'support.function.layer.ppvc',
  function: 'support.function.aggregate.ppvc',
  protocol: 'support.constant.protocol.ppvc',
  backend: 'support.constant.backend.ppvc',
  key: 'keyword.other.option.ppvc',
  value: 'constant.language.option-value.ppvc',
  name: 'variable.language.input.ppvc',
};

/** A word as a pattern: words are identifiers (letters, digits, _ and -), so nothing needs escaping. */
function wordPattern(w: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(w)) throw new Error(`textmate: '${w}' is no identifier`);
  return w;
}

/** One rule per class of words, longest words first (an alternation takes the first that matches). */
function wordRules(): TextMateRule[] {
  const byClass = new Map<WordClass, string[]>();
  for (const [word, cls] of languageWords()) byClass.set(cls, [...(byClass.get(cls) ?? []), word]);
  return (Object.keys(WORD_SCOPES) as WordClass[])
    .filter((cls) => byClass.has(cls))
    .map((cls) => {
      const words = byClass.get(cls)!.sort((a, b) => b.length - a.length || a.localeCompare(b));
      return { name: WORD_SCOPES[cls], match: `(?:${words.map(wordPattern).join('|')})${WORD_END}` };
    });
}

/** Builds the grammar from the lexer's tokens (and the language's words, from the checker's tables). */
export function buildTextMateGrammar(): TextMateGrammar {
  const repository: Record<string, TextMateRule> = {};
  const order: string[] = [];
  for (const t of allTokens) {
    const scope = scopeOf(t);
    if (!scope) continue;
    if (!(t.PATTERN instanceof RegExp)) throw new Error(`textmate: token ${t.name} has no regular expression pattern`);
    const key = t.name.replace(/^./, (c) => c.toLowerCase());
    if (t.name === 'Identifier') {
      repository[key] = {
        comment: 'Identifier (keywords are soft: also names); the words of the language are identifiers with their own scopes',
        patterns: [...wordRules(), { name: scope, match: toOniguruma(t.PATTERN.source) }],
      };
    } else {
      repository[key] = { comment: t.name, name: scope, match: toOniguruma(t.PATTERN.source) };
    }
    order.push(key);
  }
  repository['invalid'] = { comment: 'any other character: a lexer error', name: 'invalid.illegal.character.ppvc', match: '[^\\s]' };
  order.push('invalid');
  return {
    $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
    name: 'ppvc',
    scopeName: SCOPE_NAME,
    fileTypes: ['ppvc'],
    comment: 'Generated from src/syntax/tokens.ts by src/editor/textmate.ts (node dist/editor/write-editor-files.js). Do not edit.',
    patterns: order.map((k) => ({ include: `#${k}` })),
    repository,
  };
}

export function textMateGrammarJson(): string {
  return JSON.stringify(buildTextMateGrammar(), null, 2) + '\n';
}

// ---- a minimal TextMate tokenizer (match rules only), for tests without vscode-textmate ----

export interface TmToken {
  start: number;
  end: number;
  /** Scopes from the outermost: [source.ppvc, ...]. */
  scopes: string[];
}

interface CompiledRule {
  scope: string;
  re: RegExp;
}

function flatten(g: TextMateGrammar): CompiledRule[] {
  const out: CompiledRule[] = [];
  const visit = (r: TextMateRule) => {
    if (r.include) {
      const target = g.repository[r.include.replace(/^#/, '')];
      if (!target) throw new Error(`textmate: unknown include ${r.include}`);
      visit(target);
    } else if (r.patterns) r.patterns.forEach(visit);
    else if (r.match !== undefined) out.push({ scope: r.name ?? '', re: new RegExp(r.match, 'g') });
  };
  g.patterns.forEach(visit);
  return out;
}

/**
 * Tokenises one line as a TextMate engine does with `match` rules: at each position the rule
 * whose match starts earliest wins, ties going to the earlier rule; text no rule matches keeps
 * only the grammar's scope. (The patterns are also valid JavaScript regular expressions.)
 */
export function tokenizeLineMinimal(g: TextMateGrammar, line: string): TmToken[] {
  const rules = flatten(g);
  const tokens: TmToken[] = [];
  let pos = 0;
  while (pos < line.length) {
    let best: { index: number; end: number; scope: string } | undefined;
    for (const r of rules) {
      r.re.lastIndex = pos;
      const m = r.re.exec(line);
      if (m && m[0].length > 0 && (!best || m.index < best.index)) best = { index: m.index, end: m.index + m[0].length, scope: r.scope };
    }
    if (!best) {
      tokens.push({ start: pos, end: line.length, scopes: [g.scopeName] });
      break;
    }
    if (best.index > pos) tokens.push({ start: pos, end: best.index, scopes: [g.scopeName] });
    tokens.push({ start: best.index, end: best.end, scopes: [g.scopeName, best.scope] });
    pos = best.end;
  }
  return tokens;
}
