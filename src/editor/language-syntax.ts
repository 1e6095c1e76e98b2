// The full syntax of .ppvc files, for the syntax diagrams (diagrams-offline.ts), the EBNF
// (ebnf.ts) and the editor grammar's word scopes (textmate.ts). It starts from the parser's own
// rules (src/syntax/diagrams.ts), where statement-specific words are generic arguments (`atom`),
// and puts in their place what the checker accepts there:
//   - each layer kind with its arguments, read from LAYER_HELP (src/check/layers.ts), the table
//     the checker reports and corrects misspelt arguments from;
//   - the option keys of `video` and `target` (src/syntax/option-keys.ts, the checker's), the
//     protocol names (src/target/protocols.ts), and the few closed word lists the checker spells
//     inline (classify's softmax kinds, the aggregates, trunc's modes: test/grammar.test.ts
//     compares them with the checker's own messages).
// Every generated rule comes from these tables, so the diagrams, the EBNF and the editor colours
// name every layer kind and option, and cannot drift from the checker.
import { LAYER_HELP, LAYER_KINDS } from '../check/layers.js';
import { PROTOCOL_NAMES } from '../target/protocols.js';
import { INPUT } from '../ir/pipeline.js';
import { TARGET_OPTION_KEYS, VIDEO_OPTION_KEYS } from '../syntax/option-keys.js';
import { type Syntax, type SyntaxRule, parserSyntax } from '../syntax/diagrams.js';
import { keywords } from '../syntax/tokens.js';

type Terminal = Extract<Syntax, { type: 'Terminal' }>;

/**
 * What each upper-case placeholder of the help texts stands for: its token category (as the EBNF
 * writes it), what it means, and a value that fits (the test checks a pipeline built from them).
 */
export const PLACEHOLDERS: Readonly<Record<string, { category: string; title: string; example: string }>> = {
  FILTERS: { category: 'NUMBER', title: 'the number of filters, a whole number', example: '4' },
  UNITS: { category: 'NUMBER', title: 'the number of units, a whole number', example: '4' },
  KxK: { category: 'SIZE | NUMBER', title: 'a window size: 5x5, or 5 for 5x5', example: '3x3' },
  S: { category: 'NUMBER', title: 'the stride along both axes', example: '1' },
  SxS: { category: 'SIZE', title: 'the stride along each axis: 2x1', example: '1x1' },
  M: { category: 'NUMBER', title: 'the depth multiplier, a whole number', example: '2' },
  V: { category: 'NUMBER', title: 'the largest output value (6: ReLU6)', example: '6' },
  E: { category: 'NUMBER', title: 'the epsilon added to the variance', example: '0.001' },
  P: { category: 'NUMBER', title: 'rows and columns added or removed on every side', example: '1' },
  PxQ: { category: 'SIZE', title: 'P rows at the top and the bottom, Q columns left and right', example: '1x2' },
  RATE: { category: 'NUMBER', title: 'the dropout rate, at least 0 and below 1 (no effect at inference)', example: '0.5' },
  NAME: { category: 'NAME', title: "a layer's name (its label, or kind_N), or input for the frames", example: INPUT },
  BITS: { category: 'NUMBER', title: 'the bit length of the ring (default 64)', example: '64' },
  F: { category: 'NUMBER', title: 'fractional bits of sfix (default 16)', example: '16' },
  K: { category: 'NUMBER', title: 'total bits of sfix (default 31)', example: '31' },
  N: { category: 'NUMBER', title: 'a whole number', example: '2' },
  LAYER: { category: 'NAME | STRING', title: 'a layer name, bare or quoted', example: 'conv2d_1' },
  B: { category: 'NUMBER', title: 'every value of the layer lies in (-B, B)', example: '8' },
};

/** The options of `video` statements, one entry per key of VIDEO_OPTION_KEYS. */
export const VIDEO_OPTION_SYNTAX: Readonly<Record<string, string>> = {
  range: 'range [LOW, HIGH]',
};

/** The options of the `target` block, one entry per key of TARGET_OPTION_KEYS. */
export const TARGET_OPTION_SYNTAX: Readonly<Record<string, string>> = {
  protocol: `protocol ${PROTOCOL_NAMES.join('|')}`,
  ring: 'ring BITS',
  precision: 'precision F K',
  threads: 'threads N',
  trunc: 'trunc probabilistic|nearest',
  budget: 'budget N',
  bound: 'bound LAYER B',
};

/** The per-frame output after `classify each frame with MODEL` (alternatives). */
export const CLASSIFY_SYNTAX: readonly string[] = [', softmax relu_normalized|exact', ', logits'];

/** `NAME = argmax(sum|votes)`: the aggregation function and what it reads. */
export const AGGREGATION = { functions: ['argmax'], aggregates: ['sum', 'votes'] } as const;

/** The backends a `target` block may name. */
export const TARGET_BACKENDS: readonly string[] = ['mp-spdz'];

const literal = (text: string): Terminal => ({ type: 'Terminal', text, literal: true });

function placeholder(word: string, where: string): Terminal {
  const p = PLACEHOLDERS[word];
  if (!p) throw new Error(`${where}: unknown placeholder '${word}'; add it to PLACEHOLDERS in src/editor/language-syntax.ts`);
  return { type: 'Terminal', text: word, literal: false, title: `${p.category}: ${p.title}` };
}

/** A number inside a bracketed list, named by the help text (`top`, `d1`, `LOW`). */
function listItem(word: string): Terminal {
  return { type: 'Terminal', text: word.toUpperCase(), literal: false, title: `NUMBER: ${word}`, ebnf: 'NUMBER' };
}

export function sequenceOf(items: Syntax[]): Syntax {
  return items.length === 1 ? items[0]! : { type: 'Sequence', items };
}

const choice = (alternatives: Syntax[]): Syntax => (alternatives.length === 1 ? alternatives[0]! : { type: 'Choice', alternatives });
const choiceOfWords = (words: readonly string[]): Syntax => choice(words.map(literal));

/** `, ...`: zero or more of `, X` after an X (a list item repeats under its name without digits: d2 -> D). */
function more(before: Syntax[], where: string): Syntax {
  const last = before[before.length - 1];
  if (!last) throw new Error(`${where}: '...' repeats nothing`);
  const item = last.type === 'Terminal' && last.ebnf === 'NUMBER' ? listItem(last.text.replace(/\d+$/, '')) : last;
  return { type: 'Repetition', min: 0, body: { type: 'Sequence', items: [literal(','), item] } };
}

/**
 * The notation of LAYER_HELP and of the tables above: words are typed as written; an upper-case
 * word is a placeholder (PLACEHOLDERS); `[x y]` is optional; `a|b` are alternatives, binding
 * closer than a sequence (`stride S|SxS`); `[a, b]` (with commas) is a list of numbers; `, ...`
 * repeats `, X` after an X (`NAME, NAME[, ...]`).
 */
export function parseNotation(text: string, where: string): Syntax {
  return new NotationParser(text, where).parse();
}

class NotationParser {
  private readonly tokens: string[];
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly where: string,
  ) {
    this.tokens = text.match(/\.\.\.|[[\]|,]|[^\s[\]|,]+/g) ?? [];
  }

  parse(): Syntax {
    const items = this.sequence([]);
    if (items.length === 0) this.fail('nothing');
    return sequenceOf(items);
  }

  private fail(why: string): never {
    throw new Error(`${this.where}: ${why} in '${this.text}'`);
  }

  private next(): string {
    return this.tokens[this.pos++] ?? this.fail('unexpected end');
  }

  /** Items up to `close` (consumed); `outer`: the items before, which `, ...` may repeat. */
  private sequence(outer: Syntax[], close?: string): Syntax[] {
    const items: Syntax[] = [];
    while (this.pos < this.tokens.length && this.tokens[this.pos] !== close) items.push(this.unit([...outer, ...items]));
    if (close !== undefined && this.next() !== close) this.fail(`missing '${close}'`);
    return items;
  }

  /** `a|b|c`, or one atom. */
  private unit(before: Syntax[]): Syntax {
    const alternatives = [this.atom(before)];
    while (this.tokens[this.pos] === '|') {
      this.pos++;
      alternatives.push(this.atom(before));
    }
    return choice(alternatives);
  }

  /** Whether the tokens from here are `ahead` (`, ...`). */
  private at(...ahead: string[]): boolean {
    return ahead.every((t, i) => this.tokens[this.pos + i] === t);
  }

  private atom(before: Syntax[]): Syntax {
    if (this.at(',', '...') || this.at('[', ',', '...', ']')) {
      this.pos += this.at(',') ? 2 : 4;
      return more(before, this.where);
    }
    const t = this.next();
    if (t === '[') return this.isList() ? this.list() : { type: 'Optional', body: sequenceOf(this.sequence(before, ']')) };
    if (t === ']' || t === '|' || t === '...') this.fail(`unexpected '${t}'`);
    return /^[A-Z]/.test(t) ? placeholder(t, this.where) : literal(t);
  }

  /** After `[`: a list of numbers if the bracket holds a comma, and does not start with one. */
  private isList(): boolean {
    const end = this.tokens.indexOf(']', this.pos);
    return end > this.pos && this.tokens[this.pos] !== ',' && this.tokens.slice(this.pos, end).includes(',');
  }

  /** `[top, bottom]`, `[d1, d2, ...]`: numbers named by the words. */
  private list(): Syntax {
    const items: Syntax[] = [literal('[')];
    for (let t = this.next(); t !== ']'; t = this.next()) {
      if (t === ',' && this.at('...')) {
        this.pos++;
        items.push(more(items, this.where));
      } else items.push(t === ',' ? literal(',') : listItem(t));
    }
    return { type: 'Sequence', items: [...items, literal(']')] };
  }
}

/** The rule name of a layer kind: `depthwise conv2d layer` (EBNF names have no underscores). */
export function layerRuleName(kind: string): string {
  return `${kind.replace(/_/g, ' ')} layer`;
}

/**
 * A layer kind's syntax from its LAYER_HELP entry. A `relu` flag may also be `linear`, the
 * activation without it: the checker reads the two as one choice (src/check/layers.ts).
 */
export function layerSyntax(kind: string): Syntax {
  const help = LAYER_HELP[kind];
  if (help === undefined) throw new Error(`no LAYER_HELP entry for layer kind '${kind}'`);
  return parseNotation(help.replace(/\[relu\]/g, '[relu|linear]'), `LAYER_HELP.${kind}`);
}

/** One table entry per key, no more, no fewer: a key added to the checker must be described here. */
function optionSyntax(table: Readonly<Record<string, string>>, keys: ReadonlySet<string>, what: string): Syntax[] {
  const described = Object.keys(table);
  const missing = [...keys].filter((k) => !described.includes(k));
  const extra = described.filter((k) => !keys.has(k));
  if (missing.length || extra.length) throw new Error(`${what}: describe ${missing.join(', ') || 'no key'}; remove ${extra.join(', ') || 'no key'}`);
  return [...keys].map((k) => parseNotation(table[k]!, `${what}.${k}`));
}


/** User-facing names of the parser's rules (the others keep theirs). */
const RULE_NAMES: Readonly<Record<string, string>> = {
  partyStatement: 'party',
  videoStatement: 'video',
  selectStatement: 'select',
  modelStatement: 'model',
  layerBlock: 'layer block',
  classifyStatement: 'classify',
  bindingStatement: 'aggregation',
  revealStatement: 'reveal',
  targetStatement: 'target',
};

/**
 * Replaces every node the parser labelled `label` (a CONSUME or SUBRULE LABEL, such as `kind` or
 * `options`) by `by(node)`, or removes it where that is undefined; throws when none is found, so
 * that a change to the parser cannot leave a generic argument in the diagrams unnoticed.
 */
function replaceLabelled(rule: SyntaxRule, label: string, by: (node: Syntax) => Syntax | undefined): SyntaxRule {
  let found = 0;
  const visit = (s: Syntax): Syntax | undefined => {
    if ((s.type === 'Terminal' || s.type === 'NonTerminal') && s.label === label) {
      found++;
      return by(s);
    }
    switch (s.type) {
      case 'Sequence': {
        const items = s.items.map(visit).filter((x): x is Syntax => x !== undefined);
        return items.length ? sequenceOf(items) : undefined;
      }
      case 'Choice': {
        const alternatives = s.alternatives.map(visit).filter((x): x is Syntax => x !== undefined);
        return alternatives.length ? choice(alternatives) : undefined;
      }
      case 'Optional':
      case 'Repetition': {
        const body = visit(s.body);
        return body && { ...s, body };
      }
      default:
        return s;
    }
  };
  const body = visit(rule.body);
  if (found === 0 || !body) throw new Error(`syntax: rule ${rule.name} has no node labelled '${label}' (src/syntax/parser.ts changed?)`);
  return { ...rule, body };
}

/** A repetition of generic arguments (`atom*`) becomes `by`: the node is the repetition itself. */
function replaceArguments(rule: SyntaxRule, label: string, by: Syntax | undefined): SyntaxRule {
  const marker = '\u0000removed';
  const marked = replaceLabelled(rule, label, () => (by ? { type: 'NonTerminal', name: marker } : undefined));
  const visit = (s: Syntax): Syntax => {
    if (s.type === 'Repetition' && s.body.type === 'NonTerminal' && s.body.name === marker) return by!;
    if (s.type === 'NonTerminal' && s.name === marker) return by!;
    if (s.type === 'Sequence') return sequenceOf(s.items.map(visit));
    if (s.type === 'Choice') return choice(s.alternatives.map(visit));
    if (s.type === 'Optional' || s.type === 'Repetition') return { ...s, body: visit(s.body) };
    return s;
  };
  return { ...marked, body: visit(marked.body) };
}

/** Where each parser rule's generic parts go, and the rules that describe them. */
function refinements(): Record<string, { refine: (r: SyntaxRule) => SyntaxRule; adds?: SyntaxRule[] }> {
  const video = optionSyntax(VIDEO_OPTION_SYNTAX, VIDEO_OPTION_KEYS, 'VIDEO_OPTION_SYNTAX');
  const target = optionSyntax(TARGET_OPTION_SYNTAX, TARGET_OPTION_KEYS, 'TARGET_OPTION_SYNTAX');
  const layerRules = LAYER_KINDS.map((k) => ({ name: layerRuleName(k), body: layerSyntax(k) }));
  return {
    videoStatement: { refine: (r) => replaceArguments(r, 'options', video.length === 1 ? { type: 'Optional', body: video[0]! } : { type: 'Repetition', min: 0, body: choice(video) }) },
    // a model file takes no options: the parser reads them only to report them
    modelStatement: { refine: (r) => replaceArguments(r, 'options', undefined) },
    layer: {
      refine: (r) => replaceArguments(replaceLabelled(r, 'kind', () => choice(layerRules.map((l) => ({ type: 'NonTerminal', name: l.name })))), 'args', undefined),
      adds: layerRules,
    },
    classifyStatement: { refine: (r) => replaceArguments(r, 'options', { type: 'Optional', body: choice(CLASSIFY_SYNTAX.map((c, i) => parseNotation(c, `CLASSIFY_SYNTAX[${i}]`))) }) },
    bindingStatement: { refine: (r) => replaceLabelled(replaceLabelled(r, 'func', () => choiceOfWords(AGGREGATION.functions)), 'arg', () => choiceOfWords(AGGREGATION.aggregates)) },
    targetStatement: {
      refine: (r) => replaceArguments(replaceLabelled(r, 'backend', () => choiceOfWords(TARGET_BACKENDS)), 'options', { type: 'NonTerminal', name: 'target option' }),
      adds: [{ name: 'target option', body: choice(target) }],
    },
  };
}

function rename(s: Syntax): Syntax {
  switch (s.type) {
    case 'NonTerminal':
      return { ...s, name: RULE_NAMES[s.name] ?? s.name };
    case 'Sequence':
      return { ...s, items: s.items.map(rename) };
    case 'Choice':
      return { ...s, alternatives: s.alternatives.map(rename) };
    case 'Optional':
    case 'Repetition':
      return { ...s, body: rename(s.body) };
    default:
      return s;
  }
}

export function referencedRules(s: Syntax, into = new Set<string>()): Set<string> {
  if (s.type === 'NonTerminal') into.add(s.name);
  else if (s.type === 'Sequence') s.items.forEach((x) => referencedRules(x, into));
  else if (s.type === 'Choice') s.alternatives.forEach((x) => referencedRules(x, into));
  else if (s.type === 'Optional' || s.type === 'Repetition') referencedRules(s.body, into);
  return into;
}

/** The rules reachable from the first; throws for a reference to no rule. */
function reachable(rules: SyntaxRule[]): Set<string> {
  const byName = new Map(rules.map((r) => [r.name, r]));
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    const rule = byName.get(name);
    if (!rule) throw new Error(`syntax: no rule for ${name}`);
    seen.add(name);
    referencedRules(rule.body).forEach(visit);
  };
  visit(rules[0]!.name);
  return seen;
}

/**
 * The language's rules in the parser's order, each generated rule after the rule that uses it;
 * rules no longer used (the generic `atom`) are left out.
 */
export function languageSyntax(): SyntaxRule[] {
  const refine = refinements();
  const rules: SyntaxRule[] = [];
  for (const r of parserSyntax()) {
    const how = refine[r.name];
    rules.push(how ? how.refine(r) : r, ...(how?.adds ?? []));
  }
  const renamed = rules.map((r) => ({ name: RULE_NAMES[r.name] ?? r.name, body: rename(r.body) }));
  const used = reachable(renamed);
  return renamed.filter((r) => used.has(r.name));
}

/** How the editor grammar colours a word (src/editor/textmate.ts). */
export type WordClass = 'layer' | 'function' | 'protocol' | 'backend' | 'key' | 'value' | 'name';

const keywordWords = new Set(keywords.map((t) => (t.PATTERN as RegExp).source.replace(/\(\?!.*$/, '')));

/**
 * Every word of the language that is an identifier to the lexer (not a lexer keyword), with its
 * class: the tables' layer kinds, protocols, backends and aggregation functions; `input`; and any
 * other word of the syntax, an option key where a value follows it (`kernel 5x5`, `softmax
 * exact`), else a value or flag (`valid`, `nobias`, `sum`).
 */
export function languageWords(rules: SyntaxRule[] = languageSyntax()): Map<string, WordClass> {
  const words = new Map<string, WordClass>();
  const visit = (s: Syntax, followed: boolean): void => {
    if (s.type === 'Terminal' && s.literal && /^[A-Za-z_]/.test(s.text) && !keywordWords.has(s.text)) {
      if (words.get(s.text) !== 'key') words.set(s.text, followed ? 'key' : 'value');
    } else if (s.type === 'Sequence') s.items.forEach((x, i) => visit(x, i < s.items.length - 1));
    else if (s.type === 'Choice') s.alternatives.forEach((x) => visit(x, false));
    else if (s.type === 'Optional' || s.type === 'Repetition') visit(s.body, false);
  };
  rules.forEach((r) => visit(r.body, false));
  const fixed: [readonly string[], WordClass][] = [
    [AGGREGATION.functions, 'function'],
    [TARGET_BACKENDS, 'backend'],
    [PROTOCOL_NAMES, 'protocol'],
    [LAYER_KINDS, 'layer'],
    [[INPUT], 'name'],
  ];
  for (const [list, cls] of fixed) for (const w of list) words.set(w, cls);
  return words;
}
