"""Names each runtime block (src/emit/runtime/*.py) defines at module level and the global
names it reads, from Python's own parser: the reference the TypeScript derivation of the
blocks' dependencies (src/emit/runtime/python-names.ts) is checked against.

Usage: python3 runtime_names.py DIR  ->  JSON {block: {"defines": [...], "reads": [...]}}
"""

import ast
import builtins
import json
import pathlib
import sys
import symtable


def defines(tree):
    """Module-level bindings: functions, classes and assigned names."""
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def global_reads(table):
    """Names read as globals anywhere in the block: at module level, or free in any scope."""
    names = {s.get_name() for s in table.get_symbols() if s.is_referenced() and s.is_global()}
    for child in table.get_children():
        names |= global_reads(child)
    return names


def block_names(path):
    source = path.read_text()
    own = defines(ast.parse(source))
    table = symtable.symtable(source, str(path), "exec")
    reads = {n for n in global_reads(table) if n not in own and not hasattr(builtins, n)}
    return {"defines": sorted(own), "reads": sorted(reads)}


if __name__ == "__main__":
    directory = pathlib.Path(sys.argv[1])
    blocks = {p.stem: block_names(p) for p in sorted(directory.glob("*.py"))}
    print(json.dumps(blocks, indent=1))
