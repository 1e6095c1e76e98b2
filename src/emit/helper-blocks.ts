// The helper blocks as they sit in Compiler/ml.py: each between marker comments carrying a
// content hash, so that a tree can be checked for exactly these helpers, and an ml.py's blocks
// can be replaced by this version's without touching anything else in the file.
import { createHash } from 'node:crypto';
import { HELPERS, HELPER_NAMES, closeHelpers, type HelperName } from './runtime/helpers.js';

export interface HelperBlock {
  name: HelperName;
  hash: string;
  begin: string;
  end: string;
  code: string;
}

const BEGIN = '# >>> ppvc-dsl helper ';
const END = '# <<< ppvc-dsl helper ';

export function helperBlocks(wanted: Iterable<HelperName>): HelperBlock[] {
  return closeHelpers(wanted).map((name) => {
    const code = HELPERS[name].code;
    const hash = createHash('sha256').update(code).digest('hex').slice(0, 12);
    return { name, hash, begin: `${BEGIN}${name} ${hash}`, end: `${END}${name}`, code };
  });
}

/**
 * The lines the blocks add after the last line of ml.py: one empty line, then each block after
 * an empty line (what ml.py.patch adds, and what applying it in the backend writes).
 */
export function blockLines(blocks: HelperBlock[]): string[] {
  const lines = [''];
  for (const b of blocks) lines.push('', b.begin, ...b.code.trimEnd().split('\n'), b.end);
  return lines;
}

interface Span {
  name: string;
  /** First line: the empty lines before the begin marker (ours: blockLines puts them there). */
  from: number;
  /** Line after the end marker. */
  to: number;
}

/** The blocks of known helpers in ml.py's lines; a begin marker without its end is an error. */
function blockSpans(lines: string[]): Span[] {
  const spans: Span[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith(BEGIN)) continue;
    const name = lines[i]!.slice(BEGIN.length).split(' ')[0]!;
    // a block of a helper this version does not know (a later ppvc-dsl's) is left alone
    if (!(HELPER_NAMES as readonly string[]).includes(name)) continue;
    const end = lines.indexOf(`${END}${name}`, i + 1);
    if (end < 0) throw new Error(`Compiler/ml.py: the ppvc-dsl helper ${name} at line ${i + 1} has no end marker (${END}${name})`);
    let from = i;
    while (from > 0 && lines[from - 1] === '' && from - 1 >= (spans.at(-1)?.to ?? 0)) from--;
    spans.push({ name, from, to: end + 1 });
    i = end;
  }
  return spans;
}

/**
 * ml.py with the blocks of `wanted` and of every helper already there, all in this version:
 * blocks with another hash are replaced, not duplicated; they go where the first block was
 * (else after the last line), and everything else in the file, text after the blocks included,
 * stays as it was.
 */
export function withHelperBlocks(mlPy: string, wanted: Iterable<HelperName>): string {
  const lines = mlPy.split('\n');
  const trailingNewline = lines.at(-1) === '';
  if (trailingNewline) lines.pop();
  const spans = blockSpans(lines);
  const present = spans.map((s) => s.name as HelperName);
  const added = blockLines(helperBlocks([...present, ...wanted]));
  const at = spans[0]?.from ?? lines.length;
  const kept = lines.filter((_, i) => !spans.some((s) => i >= s.from && i < s.to));
  kept.splice(at, 0, ...added);
  return kept.join('\n') + '\n';
}
