// The syntax diagrams (grammar/syntax-diagrams.html) and the EBNF (grammar/ppvc.ebnf) are
// generated from the parser and the checker's tables (src/editor/language-syntax.ts): the
// committed files must be the generated ones; they show terminals as the user types them, never a
// token class name; they name every layer kind, option key, option value and protocol; every
// form they show is one the checker accepts; and the closed word lists the generator keeps equal
// the checker's own.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, checkText } from './helpers.js';
import { offlineSyntaxDiagramsHtml, renderDiagramsHtml } from '../src/editor/diagrams-offline.js';
import { ebnfText } from '../src/editor/ebnf.js';
import { AGGREGATION, CLASSIFY_SYNTAX, PLACEHOLDERS, TARGET_BACKENDS, TARGET_OPTION_SYNTAX, languageSyntax, layerRuleName, parseNotation } from '../src/editor/language-syntax.js';
import type { Syntax, SyntaxRule } from '../src/syntax/diagrams.js';
import { ppvcParser } from '../src/syntax/parser.js';
import { allTokens } from '../src/syntax/tokens.js';
import { LAYER_HELP, LAYER_KINDS } from '../src/check/layers.js';
import { PROTOCOL_NAMES } from '../src/target/protocols.js';
import { TARGET_OPTION_KEYS, VIDEO_OPTION_KEYS } from '../src/syntax/option-keys.js';

const html = readFileSync(join(ROOT, 'grammar', 'syntax-diagrams.html'), 'utf8');
const ebnf = readFileSync(join(ROOT, 'grammar', 'ppvc.ebnf'), 'utf8');
const rules = languageSyntax();

/** The diagrams part of a page (its SVG), without the intro text, style sheet and script. */
function diagramsOf(page: string): string {
  const start = page.indexOf('<h2 class="diagramHeader">');
  return page.slice(start, page.indexOf('</div>', start));
}

/** The text of every terminal box of the diagrams. */
function terminalTexts(page: string): Set<string> {
  return new Set([...diagramsOf(page).matchAll(/<g class="terminal">[\s\S]*?<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c)))));
}

/** Token class names (chevrotain's: Party, LCurly, GluedWord) found as whole words. */
function tokenClassNames(text: string): string[] {
  return allTokens.map((t) => t.name).filter((n) => new RegExp(`(^|[^A-Za-z0-9_])${n}([^A-Za-z0-9_]|$)`).test(text));
}

/**
 * The words the language must show, taken from the checker's tables and messages independently of
 * the generator: layer kinds; every lower-case word of each layer's help outside bracketed lists
 * (the checker's vocabulary of that layer, src/check/layers.ts); option keys; protocols; and
 * the words of classify, the aggregation, trunc and the target.
 */
function expectedWords(): string[] {
  const layerWords = Object.values(LAYER_HELP).flatMap((h) => h.replace(/\[[a-z0-9]+(, [a-z0-9.]+)+\]/g, '').match(/\b[a-z][a-z0-9_]*\b/g) ?? []);
  const other = ['linear', 'softmax', 'relu_normalized', 'exact', 'logits', 'argmax', 'sum', 'votes', 'probabilistic', 'nearest', 'mp-spdz'];
  return [...new Set([...LAYER_KINDS, ...layerWords, ...VIDEO_OPTION_KEYS, ...TARGET_OPTION_KEYS, ...PROTOCOL_NAMES, ...other])];
}

describe('the syntax diagrams', () => {
  test('the committed page is the generated one (npm run editors) and needs no network', () => {
    expect(html).toBe(offlineSyntaxDiagramsHtml());
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).toContain('<svg');
    for (const r of rules) expect(html).toContain(`<h2 class="diagramHeader">${r.name}</h2>`);
    for (const rule of ['file', 'party', 'target', 'target option', 'layer', 'conv2d layer', 'list']) expect(rules.map((r) => r.name)).toContain(rule);
  });

  test('terminals are shown as typed, never by a token class name', () => {
    expect(tokenClassNames(diagramsOf(html))).toEqual([]);
    const texts = terminalTexts(html);
    for (const t of ['party', 'pipeline', '{', '}', '[', ']', '=', ':', ';', ',', '(', ')', 'NAME', 'NUMBER', 'STRING', 'NEWLINE']) expect(texts).toContain(t);
    // the check is sharp: chevrotain's own rendering of the parser shows LCurly, Party, GluedWord
    const raw = diagramsOf(renderDiagramsHtml(ppvcParser.getSerializedGastProductions()));
    expect(tokenClassNames(raw)).toEqual(expect.arrayContaining(['Party', 'LCurly', 'GluedWord', 'Identifier']));
  });

  test('every layer kind, option key, option value and protocol is a terminal', () => {
    const texts = terminalTexts(html);
    expect(expectedWords().filter((w) => !texts.has(w))).toEqual([]);
    // each layer kind has its own diagram, starting with its word
    for (const kind of LAYER_KINDS) expect(diagramsOf(html)).toContain(`<h2 class="diagramHeader">${layerRuleName(kind)}</h2>`);
    // the check is sharp: the parser's generic rendering has none of them
    const raw = terminalTexts(renderDiagramsHtml(ppvcParser.getSerializedGastProductions()));
    expect(expectedWords().filter((w) => raw.has(w))).toEqual([]);
  });
});

describe('the EBNF', () => {
  test('the committed grammar/ppvc.ebnf is the generated one (npm run editors)', () => {
    expect(ebnf).toBe(ebnfText());
  });

  /** The expected words the EBNF does not quote. */
  const missing = (text: string) => expectedWords().filter((w) => !text.includes(`"${w}"`));

  test('it lists every layer kind (a rule each), option key, option value and protocol', () => {
    expect(missing(ebnf)).toEqual([]);
    for (const kind of LAYER_KINDS) expect(ebnf).toMatch(new RegExp(`^${layerRuleName(kind)} +=  ?"${kind}"`, 'm'));
    // the check is sharp: the EBNF without the crop rule misses crop
    expect(missing(ebnf.replace(/^crop layer .*\n( {2,}.*\n)*/m, ''))).toEqual(['crop']);
  });

  test('every value name it uses is defined', () => {
    const defined = new Set([...ebnf.matchAll(/^([A-Za-z][A-Za-z ]*?) += /gm)].map((m) => m[1]!));
    const used = new Set([...ebnf.replace(/\(\*[\s\S]*?\*\)|"[^"]*"|'[^']*'|\?[^?]*\?/g, '').matchAll(/\b[A-Z][A-Za-z]*\b/g)].map((m) => m[0]));
    expect([...used].filter((u) => !defined.has(u))).toEqual([]);
  });
});

// ---- every form the diagrams show is accepted by the checker ---------------------------------

/** Values for the numbers of bracketed lists, by the name the help text gives them. */
const LIST_ITEMS: Record<string, string> = { TOP: '1', BOTTOM: '1', LEFT: '1', RIGHT: '1', LOW: '0', HIGH: '1', D1: '8', D2: '8', D: '8' };

/** What a sample puts for the names of a statement (in order) and for the rules it refers to. */
interface Env {
  names?: string[];
  rules?: Record<string, string>;
}

function valueOf(t: Extract<Syntax, { type: 'Terminal' }>, env: Env): string {
  if (!t.literal && t.text === 'NAME' && env.names?.length) return env.names.shift()!;
  const v = t.literal ? t.text : PLACEHOLDERS[t.text]?.example ?? LIST_ITEMS[t.text];
  if (v === undefined) throw new Error(`no example value for ${t.text}`);
  return v;
}

/** Which alternative each choice takes (the first where none is given). */
type Picks = Map<Syntax, number>;

/** One text the syntax describes: the picked alternatives, optional parts if `full`, repetitions once. */
function sample(s: Syntax, picks: Picks, full: boolean, env: Env): string[] {
  switch (s.type) {
    case 'Terminal':
      return [valueOf(s, env)];
    case 'Sequence':
      return s.items.flatMap((x) => sample(x, picks, full, env));
    case 'Choice':
      return sample(s.alternatives[picks.get(s) ?? 0]!, picks, full, env);
    case 'Optional':
      return full ? sample(s.body, picks, full, env) : [];
    case 'Repetition':
      return sample(s.body, picks, full, env);
    case 'NonTerminal': {
      const text = env.rules?.[s.name];
      if (text === undefined) throw new Error(`sample: no text for rule ${s.name}`);
      return [text];
    }
  }
}

/** For every alternative of every choice, the picks that reach it (its enclosing choices' too). */
function everyAlternative(s: Syntax, path: Picks = new Map()): Picks[] {
  switch (s.type) {
    case 'Choice':
      return s.alternatives.flatMap((a, i) => {
        const here = new Map(path).set(s, i);
        return [here, ...everyAlternative(a, here)];
      });
    case 'Sequence':
      return s.items.flatMap((x) => everyAlternative(x, path));
    case 'Optional':
    case 'Repetition':
      return everyAlternative(s.body, path);
    default:
      return [];
  }
}

/** Texts covering every alternative of every choice, with all optional parts and with none. */
function samples(s: Syntax, env: () => Env = () => ({})): string[] {
  const all = [new Map(), ...everyAlternative(s)].map((picks) => sample(s, picks, true, env()).join(' '));
  return [...new Set([...all, sample(s, new Map(), false, env()).join(' ')])];
}

const ruleBody = (name: string): Syntax => {
  const rule = rules.find((r: SyntaxRule) => r.name === name);
  if (!rule) throw new Error(`no rule ${name}`);
  return rule.body;
};

/** A pipeline with the given statements (the others fixed), so that only those are tested. */
function pipeline(parts: { video?: string; layers?: string; classify?: string; aggregation?: string; target?: string }): string {
  return [
    'pipeline t',
    'party alice = 0',
    parts.video ?? 'video v: [4, 8, 8, 8] from alice',
    'select 2 frames by alice',
    `model m by alice {\n${parts.layers ?? 'conv2d 2 kernel 3x3'}\nflatten\ndense 2\n}`,
    parts.classify ?? 'classify each frame with m',
    parts.aggregation ?? '',
    parts.target ? `target mp-spdz { ${parts.target} }` : '',
    '',
  ].join('\n');
}

/** The errors (not warnings) of a pipeline, each with the line it is on. */
function errorsOf(text: string): string[] {
  const lines = text.split('\n');
  return checkText(text)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => `${d.message}: ${d.span ? lines[d.span.line - 1] : ''}`);
}

describe('every form the diagrams show checks', () => {
  test.each(LAYER_KINDS)('%s', (kind) => {
    // dense needs a flat input: it reads (`from NAME`) a flatten layer
    const flat = kind === 'dense';
    const texts = samples(ruleBody(layerRuleName(kind)), () => ({ names: flat ? ['f'] : [] }));
    expect(texts.length).toBeGreaterThan(0);
    for (const t of texts) expect(errorsOf(pipeline({ layers: flat ? `f: flatten\n${t}` : t }))).toEqual([]);
  });

  test('the video options, the per-frame output, the aggregation and the target options', () => {
    const video = samples(ruleBody('video'), () => ({ names: ['v', 'alice'], rules: { list: '[4, 8, 8, 8]' } }));
    expect(video).toContain('video v : [4, 8, 8, 8] from alice range [ 0 , 1 ]');
    for (const v of video) expect(errorsOf(pipeline({ video: v }))).toEqual([]);
    const classify = samples(ruleBody('classify'), () => ({ names: ['m'] }));
    expect(classify).toEqual(expect.arrayContaining(['classify each frame with m , softmax exact', 'classify each frame with m , logits']));
    for (const c of classify) expect(errorsOf(pipeline({ classify: c }))).toEqual([]);
    const aggregation = samples(ruleBody('aggregation'), () => ({ names: ['label'] }));
    expect(aggregation).toEqual(['label = argmax ( sum )', 'label = argmax ( votes )']);
    for (const a of aggregation) expect(errorsOf(pipeline({ aggregation: a }))).toEqual([]);
    const target = samples(ruleBody('target option'));
    expect(target.length).toBeGreaterThanOrEqual(PROTOCOL_NAMES.length);
    for (const t of target) expect(errorsOf(pipeline({ target: t }))).toEqual([]);
  });

  test('the check is sharp: a form the checker refuses fails it', () => {
    const wrong = samples(parseNotation('conv2d FILTERS kernel KxK sideways', 'test'))[0]!;
    expect(errorsOf(pipeline({ layers: wrong }))).toEqual([expect.stringContaining("unexpected argument 'sideways'")]);
  });
});

// ---- the generator's closed word lists are the checker's ----------------------------------------

/** The checker's `expected` for a pipeline with one wrong word. */
function expectedFor(parts: Parameters<typeof pipeline>[0]): string {
  const d = checkText(pipeline(parts)).diagnostics.find((x) => x.severity === 'error');
  if (!d?.expected) throw new Error(`no error with an expected value for ${JSON.stringify(parts)}`);
  return d.expected;
}

/** The quoted parts of a message: `'sum' (... the paper's) or 'votes'` gives sum and votes. */
const quoted = (s: string) => [...s.matchAll(/'([a-z_, -]+)'/g)].map((m) => m[1]!);

test("the option values the generator lists are exactly the checker's", () => {
  const alternatives = (expected: string) => expected.split(', ').join('|');
  expect(TARGET_OPTION_SYNTAX['trunc']).toBe(`trunc ${alternatives(expectedFor({ target: 'trunc zzz' }))}`);
  expect(TARGET_OPTION_SYNTAX['protocol']).toBe(`protocol ${alternatives(expectedFor({ target: 'protocol zzz' }))}`);
  expect(CLASSIFY_SYNTAX[0]).toBe(`, softmax ${alternatives(expectedFor({ classify: 'classify each frame with m, softmax zzz' }))}`);
  // every per-frame output the checker names (', softmax exact'), and no other, is in the diagrams
  const outputs = new Set(CLASSIFY_SYNTAX.flatMap((c) => samples(parseNotation(c, 'CLASSIFY_SYNTAX'))));
  expect(new Set(quoted(expectedFor({ classify: 'classify each frame with m, zzz' })))).toEqual(outputs);
  expect(quoted(expectedFor({ aggregation: 'label = argmax(zzz)' }))).toEqual([...AGGREGATION.aggregates]);
  expect([expectedFor({ aggregation: 'label = zzz(sum)' })]).toEqual([...AGGREGATION.functions]);
  const badBackend = pipeline({ target: 'ring 64' }).replace('target mp-spdz', 'target zzz');
  expect([checkText(badBackend).diagnostics.find((d) => d.severity === 'error')?.expected]).toEqual([...TARGET_BACKENDS]);
});

// ---- layering ---------------------------------------------------------------------------------

test('src/syntax imports nothing from a later stage (check, editor, ...)', () => {
  const dir = join(ROOT, 'src', 'syntax');
  const outside = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/from '(\.\.\/[^']+)'/g)].map((m) => `${f}: ${m[1]}`))
    .filter((x) => !/: \.\.\/(diagnostics|util\/[^/]+)\.js$/.test(x));
  expect(outside).toEqual([]);
});
