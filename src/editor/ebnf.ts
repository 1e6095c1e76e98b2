// grammar/ppvc.ebnf, GENERATED from the language's syntax (language-syntax.ts: the parser's rules
// with the checker's layer and option tables in place of generic arguments), the same rules the
// syntax diagrams draw: it lists every layer kind and option and cannot drift from the parser or
// the checker. Written by `npm run editors` (src/editor/write-editor-files.ts --diagrams);
// test/grammar.test.ts fails when the committed file differs.
import type { Syntax, SyntaxRule } from '../syntax/diagrams.js';
import { PLACEHOLDERS, languageSyntax } from './language-syntax.js';

const WIDTH = 100;

/** Comments above rules, by rule name: an example and what the checker adds. */
const RULE_COMMENTS: Readonly<Record<string, string>> = {
  party: 'party alice = 0 : a name for an MP-SPDZ party number (0 .. parties-1 of the protocol)',
  video: 'video frames: [97, 48, 48, 1] from alice  range [0, 1]\nthe shape is [N, h, w, c]; range: the values the frames are normalised to (default [0, 1])',
  select:
    "select 7 frames by bob          oblivious: bob's secret n x N 0/1 matrix (the paper's)\n" +
    'select public frames [0, 15]    public: every party learns which frames are used\n' +
    'select public every 15          public: frames 0, 15, 30, ...',
  model: 'model cnn by bob { ... }  or  model cnn by bob from "model.json" (Keras or TF.js)',
  layer:
    'conv2d 64 kernel 5x5 valid   or, labelled,   c1: conv2d 64 kernel 5x5\n' +
    'A layer reads the line before unless it says from NAME; input names the frames. Keyed\n' +
    'arguments and flags (kernel 5x5, valid) may come in any order: each layer rule shows one.\n' +
    'One rule per layer kind, from LAYER_HELP in src/check/layers.ts.',
  classify: 'classify each frame with cnn, softmax relu_normalized\nrelu_normalized (default, the paper\'s), MP-SPDZ\'s exact softmax, or the raw scores',
  aggregation: "label = argmax(sum)    sum of per-frame outputs, then argmax (the paper's; default)\nlabel = argmax(votes)  majority vote of the per-frame labels",
  reveal: 'reveal label to alice : the default when absent; reveal sum to alice opens the\naggregated vector (a warning says so)',
  target: 'target mp-spdz { protocol replicated-ring  ring 64  precision 16 31 }',
  'target option':
    'defaults: protocol replicated-ring, ring 64, precision 16 31, threads 1, trunc probabilistic;\n' +
    'bound LAYER B (repeatable): every value of LAYER lies in (-B, B), so its comparisons work on\n' +
    "the bits B needs; the model owner's weights are checked against it",
};

const TOKENS = `(* tokens; comments run from # to the end of the line; spaces and tabs separate tokens *)
NAME        = ( letter | "_" ) , { letter | digit | "_" } ,
              { "-" , ( letter | digit | "_" ) , { letter | digit | "_" } } ;
NUMBER      = [ "-" ] , ( digits , [ "." , { digit } ] | "." , digits ) ,
              [ ( "e" | "E" ) , [ "+" | "-" ] , digits ] ;
SIZE        = digits , "x" , digits , { "x" , digits } ;          (* 5x5 *)
STRING      = '"' , { ? any character but " and \\, or a JSON escape such as \\" or \\u00e9 ? } , '"' ;
NEWLINE     = ? line feed ? ;
digits      = digit , { digit } ;
letter      = ? A to Z or a to z ? ;
digit       = ? 0 to 9 ? ;
`;

function quote(text: string): string {
  return text.includes('"') ? `'${text}'` : `"${text}"`;
}

/** A sequence's items, nested sequences flattened (a sequence of sequences is one sequence). */
function itemsOf(s: Syntax): Syntax[] {
  return s.type === 'Sequence' ? s.items.flatMap(itemsOf) : [s];
}

/** An expression; `inSequence`: a choice there needs parentheses (`|` binds loosest). */
export function ebnfExpression(s: Syntax, inSequence = false): string {
  switch (s.type) {
    case 'Terminal':
      return s.literal ? quote(s.text) : s.ebnf ?? s.text;
    case 'NonTerminal':
      return s.name;
    case 'Sequence':
      return itemsOf(s).map((x) => ebnfExpression(x, true)).join(' , ');
    case 'Choice': {
      const text = s.alternatives.map((a) => ebnfExpression(a)).join(' | ');
      return inSequence ? `( ${text} )` : text;
    }
    case 'Optional':
      return `[ ${ebnfExpression(s.body)} ]`;
    case 'Repetition': {
      const body = ebnfExpression(s.body, true);
      const rest = s.separator ? `{ ${ebnfExpression(s.separator, true)} , ${body} }` : `{ ${ebnfExpression(s.body)} }`;
      if (s.min === 1) return `${body} , ${rest}`;
      return s.separator ? `[ ${body} , ${rest} ]` : rest;
    }
  }
}

/** Words joined by `joint`, broken into lines of at most WIDTH columns after `indent`. */
function wrap(parts: string[], joint: string, indent: string, first: string): string {
  const lines = [first + parts[0]];
  for (const p of parts.slice(1)) {
    const last = lines[lines.length - 1]!;
    // two columns kept for the closing ` ;`
    if (last.length + joint.length + p.length <= WIDTH - 2) lines[lines.length - 1] = last + joint + p;
    else {
      lines[lines.length - 1] = last + joint.trimEnd();
      lines.push(indent + p);
    }
  }
  return lines.join('\n');
}

/**
 * A sequence's items for wrapping: a choice too long for a line splits after each `|` (the 16
 * layer kinds), so that no line is longer than WIDTH where an item allows it.
 */
function wrapParts(items: Syntax[], indent: number): string[] {
  return items.flatMap((x) => {
    const text = ebnfExpression(x, true);
    if (x.type !== 'Choice' || indent + text.length <= WIDTH) return [text];
    const alts = x.alternatives.map((a) => ebnfExpression(a));
    // wrapped as if at its column, which the first line does not repeat
    return [wrap(alts, ' | ', ' '.repeat(indent + 2), ' '.repeat(indent) + '( ').slice(indent) + ' )'];
  });
}

/** `name = expression ;`, a long choice one alternative per line, a long sequence wrapped. */
function ebnfRule(r: SyntaxRule, nameWidth: number): string {
  const head = `${r.name.padEnd(nameWidth)} = `;
  const indent = ' '.repeat(head.length);
  const oneLine = `${head}${ebnfExpression(r.body)} ;`;
  if (oneLine.length <= WIDTH) return oneLine;
  if (r.body.type === 'Choice') {
    const bar = ' '.repeat(head.length - 2);
    const alts = r.body.alternatives.map((a) => wrap(wrapParts(itemsOf(a), head.length + 2), ' , ', indent + '  ', ''));
    return `${head}${alts.map((a, i) => (i === 0 ? a : `${bar}| ${a}`)).join('\n')}\n${bar};`;
  }
  return wrap(wrapParts(itemsOf(r.body), head.length), ' , ', indent, head) + ' ;';
}

function comment(text: string): string {
  return `(* ${text.split('\n').join('\n   ')} *)`;
}

/** The placeholders the rules use, in order of first use, each defined by its category. */
function placeholderRules(rules: SyntaxRule[]): string[] {
  const used = new Set<string>();
  const visit = (s: Syntax): void => {
    if (s.type === 'Terminal' && !s.literal && s.ebnf === undefined && PLACEHOLDERS[s.text]) used.add(s.text);
    else if (s.type === 'Sequence') s.items.forEach(visit);
    else if (s.type === 'Choice') s.alternatives.forEach(visit);
    else if (s.type === 'Optional' || s.type === 'Repetition') visit(s.body);
  };
  rules.forEach((r) => visit(r.body));
  // a placeholder named like its category (NAME) needs no definition of its own
  return [...used].filter((p) => PLACEHOLDERS[p]!.category !== p).map((p) => `${p.padEnd(11)} = ${PLACEHOLDERS[p]!.category} ;  (* ${PLACEHOLDERS[p]!.title} *)`);
}

/** The text of grammar/ppvc.ebnf. */
export function ebnfText(rules: SyntaxRule[] = languageSyntax()): string {
  const width = Math.max(...rules.map((r) => r.name.length));
  const body = rules.map((r) => (RULE_COMMENTS[r.name] ? `${comment(RULE_COMMENTS[r.name]!)}\n` : '') + ebnfRule(r, width));
  return `(* The grammar of .ppvc pipeline files (ISO 14977 EBNF).
   GENERATED by src/editor/ebnf.ts (\`npm run editors\`) from the parser (src/syntax/parser.ts)
   and the checker's tables: the layer kinds and their arguments (LAYER_HELP in
   src/check/layers.ts), the option keys (src/syntax/option-keys.ts), the protocols
   (src/target/protocols.ts) and the option values (src/editor/language-syntax.ts). Do not
   edit: test/grammar.test.ts fails when it is out of date. grammar/syntax-diagrams.html draws
   the same rules. Words in quotes are typed as shown; upper-case names are values (defined at
   the end). *)

${body.join('\n\n')}

(* values in the rules above *)
${placeholderRules(rules).join('\n')}

${TOKENS}`;
}
