// The names a block of runtime Python defines at module level and the names its code reads,
// from its text: enough to derive which blocks a block needs (helpers.ts). A small scanner,
// not a parser: comments and string literals (docstrings mention other helpers) are skipped,
// attributes (`.name`) are not reads. test/runtime-python.test.ts checks it against Python's
// own ast and symtable on every block.

export interface BlockNames {
  /** Functions, classes and names assigned at module level (column 0). */
  defines: Set<string>;
  /** Identifiers the code uses, attributes excluded (a superset of its global reads). */
  reads: Set<string>;
}

/** Triple-quoted and one-line strings (any prefix), comments, identifiers, and a dot before a name. */
const TOKEN = /[A-Za-z]{0,2}("""|''')[\s\S]*?\1|[A-Za-z]{0,2}"(?:\\.|[^"\\\n])*"|[A-Za-z]{0,2}'(?:\\.|[^'\\\n])*'|#[^\n]*|\.\s*[A-Za-z_]\w*|[A-Za-z_]\w*/g;
const DEFINITION = /^(?:(?:async\s+)?def|class)\s+([A-Za-z_]\w*)|^([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)/gm;

export function blockNames(source: string): BlockNames {
  const defines = new Set<string>();
  for (const m of source.matchAll(DEFINITION)) defines.add((m[1] ?? m[2])!);
  const reads = new Set<string>();
  for (const [token] of source.matchAll(TOKEN)) {
    if (/^[A-Za-z]{0,2}["']|^#|^\./.test(token)) continue;
    reads.add(token);
  }
  return { defines, reads };
}
