// Self-contained syntax diagrams (grammar/syntax-diagrams.html) of the language's full syntax
// (language-syntax.ts: the parser's rules, with every layer kind and option from the checker's
// tables), terminals as the user types them. Chevrotain's createSyntaxDiagramsCode references
// its scripts and style sheet on unpkg.com; the same scripts ship with chevrotain
// (node_modules/chevrotain/diagrams: Tab Atkins' railroad-diagrams, CC0, and chevrotain's builder
// and behaviour, Apache-2.0). Here the builder runs at generation time in a sandbox, so the page
// holds the finished SVG diagrams (readable without JavaScript), the style sheet inline, and the
// small behaviour script inline (hover highlights usages, a click on a rule name scrolls to its
// definition).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import type { Syntax, SyntaxRule } from '../syntax/diagrams.js';
import { languageSyntax } from './language-syntax.js';

function chevrotainDiagramsDir(): string {
  const api = createRequire(import.meta.url).resolve('chevrotain'); // .../chevrotain/lib/src/api.js
  return join(dirname(api), '..', '..', 'diagrams');
}

/** A production in the serialized form chevrotain's diagram builder draws. */
interface Gast {
  type: string;
  name?: string;
  label?: string;
  idx?: number;
  pattern?: string;
  definition?: Gast[];
  separator?: Gast;
}

/** Text the builder puts into SVG attributes unescaped: it must not need escaping. */
function attributeSafe(text: string): string {
  if (/["<>&]/.test(text)) throw new Error(`diagrams: ${JSON.stringify(text)} would need escaping in an SVG attribute`);
  return text;
}

function itemsOf(s: Syntax): Gast[] {
  return s.type === 'Sequence' ? s.items.flatMap(itemsOf) : [toGast(s)];
}

/**
 * The builder shows a terminal's `label` and gives it `name` as its token name: both are the text
 * the user types (or the value's name, NUMBER), never a token class name; `pattern` is its tooltip.
 */
function toGast(s: Syntax): Gast {
  switch (s.type) {
    case 'Terminal':
      return { type: 'Terminal', name: attributeSafe(s.text), label: attributeSafe(s.text), idx: 0, ...(s.title ? { pattern: attributeSafe(s.title) } : {}) };
    case 'NonTerminal':
      return { type: 'NonTerminal', name: attributeSafe(s.name), idx: 0 };
    case 'Sequence':
      return { type: 'Alternative', definition: itemsOf(s) };
    case 'Choice':
      return { type: 'Alternation', idx: 0, definition: s.alternatives.map((a) => ({ type: 'Alternative', definition: itemsOf(a) })) };
    case 'Optional':
      return { type: 'Option', idx: 0, definition: itemsOf(s.body) };
    case 'Repetition': {
      const type = s.separator ? (s.min === 1 ? 'RepetitionMandatoryWithSeparator' : 'RepetitionWithSeparator') : s.min === 1 ? 'RepetitionMandatory' : 'Repetition';
      return { type, idx: 0, definition: itemsOf(s.body), ...(s.separator ? { separator: toGast(s.separator) } : {}) };
    }
  }
}

/** The rules in the builder's serialized form. */
export function serializedRules(rules: SyntaxRule[] = languageSyntax()): Gast[] {
  return rules.map((r) => ({ type: 'Rule', name: attributeSafe(r.name), definition: itemsOf(r.body) }));
}

/** The diagrams of every rule as HTML (h2 headers and SVG), rendered by chevrotain's builder. */
export function renderDiagramsHtml(serializedGrammar: unknown = serializedRules()): string {
  const dir = chevrotainDiagramsDir();
  const sandbox: Record<string, unknown> = {};
  const context = vm.createContext(sandbox);
  // the UMD wrappers see neither `define` nor `module`, so they attach to the sandbox's globals
  vm.runInContext(readFileSync(join(dir, 'vendor', 'railroad-diagrams.js'), 'utf8'), context);
  vm.runInContext(readFileSync(join(dir, 'src', 'diagrams_builder.js'), 'utf8'), context);
  const builder = sandbox['diagrams_builder'] as { buildSyntaxDiagramsText(g: unknown): string } | undefined;
  if (!builder) throw new Error(`chevrotain's diagrams builder did not load from ${dir}`);
  // JSON round trip: plain objects of the sandbox's realm
  return builder.buildSyntaxDiagramsText(vm.runInContext(`(${JSON.stringify(serializedGrammar)})`, context));
}

/** The texts of terminals that stand for a value (NAME, FILTERS, TOP), in order of first use. */
function valueTexts(rules: SyntaxRule[]): string[] {
  const out = new Set<string>();
  const visit = (s: Syntax): void => {
    if (s.type === 'Terminal' && !s.literal) out.add(s.text);
    else if (s.type === 'Sequence') s.items.forEach(visit);
    else if (s.type === 'Choice') s.alternatives.forEach(visit);
    else if (s.type === 'Optional' || s.type === 'Repetition') visit(s.body);
  };
  rules.forEach((r) => visit(r.body));
  return [...out];
}

export function offlineSyntaxDiagramsHtml(): string {
  const rules = languageSyntax();
  const dir = chevrotainDiagramsDir();
  const css = readFileSync(join(dir, 'diagrams.css'), 'utf8').trim();
  const behavior = readFileSync(join(dir, 'src', 'diagrams_behavior.js'), 'utf8').trim();
  // '</script' cannot occur inside the inline script
  if (/<\/script/i.test(behavior)) throw new Error('diagrams_behavior.js contains </script>');
  const diagrams = renderDiagramsHtml(serializedRules(rules));
  // values in italics, words typed as shown upright (the builder gives a terminal's text as its label)
  const values = valueTexts(rules).map((t) => `.terminal text[label="${attributeSafe(t)}"]`);
  return `<!DOCTYPE html>
<!-- Generated by ppvc-dsl from src/syntax/parser.ts and the checker's tables (src/editor/diagrams-offline.ts). Do not edit. -->
<!-- Self-contained: diagrams rendered with chevrotain's railroad-diagrams (CC0) and diagram builder -->
<!-- and behaviour scripts (Apache-2.0), inlined; no network access is needed. -->
<html lang="en">
<head>
<meta charset="utf-8">
<title>ppvc-dsl: syntax diagrams of .ppvc files</title>
<style>
  body { background-color: hsl(30, 20%, 95%); font-family: sans-serif; }
  .intro { max-width: 50em; margin: 1em auto; }
  .intro code { font-family: monospace; }
  .value { font-style: italic; }
${values.map((v, i) => `  ${v}${i === values.length - 1 ? ' { font-style: italic; }' : ','}`).join('\n')}
${css
  .split('\n')
  .map((l) => `  ${l}`.replace(/\s+$/, ''))
  .join('\n')}
</style>
</head>
<body>
<div class="intro">
  <h1>Syntax diagrams of <code>.ppvc</code> files</h1>
  <p>All statements of a pipeline, with all layer kinds and options. Words set upright are typed
  as shown (<code>party</code>, <code>{</code>); upper-case words in italics stand for a value you
  write: <code class="value">NAME</code> a name, <code class="value">NUMBER</code> a number,
  <code class="value">SIZE</code> a size such as <code>5x5</code>, <code class="value">STRING</code>
  a quoted string, the others as their tooltips say (<code class="value">FILTERS</code>,
  <code class="value">KxK</code>...). Keyed arguments and flags (<code>kernel 5x5</code>,
  <code>valid</code>) may come in any order; each rule shows one. Square boxes name another rule:
  hover over one to see where it is used, click it to go to its diagram.</p>
  <p>Generated from the parser (<code>src/syntax/parser.ts</code>) and the checker's tables of layer
  kinds and options (<code>src/check/layers.ts</code>, <code>src/syntax/option-keys.ts</code>); the same
  rules in EBNF are <code>grammar/ppvc.ebnf</code>.</p>
</div>
<div id="diagrams" align="center">
${diagrams}
</div>
<script>
${behavior}
diagrams_behavior.initDiagramsBehavior();
</script>
</body>
</html>
`;
}
