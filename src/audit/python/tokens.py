"""Python's own reading of a source text, for the leak audit (src/audit/python-program.ts).

Reads the source on stdin and prints JSON on stdout: either {"error": {...}} when `ast.parse`
rejects it (line, 1-based column and Python's message), or {"toks": [...], "comments": [...]}
from `tokenize`. Offsets and columns count UTF-16 code units, as JavaScript strings do.

Each token is [kind, text, start, end, line, col] plus the literal body for strings. Kinds:
name (NFKC-normalised, as Python compares identifiers), number, string, op, and newline for
the end of each logical line (NEWLINE) and once more at the end of the text. INDENT, DEDENT
and NL are left out (the audit reads indentation from the columns); comments are ranges.

An f-string (or t-string) is one string token, followed by the code of each replacement field
between zero-width "(" and ")" tokens, so that a field stays one argument. The fields are
found by `ast` (their positions are exact) and tokenized in turn, nested fields included.
"""

import ast
import io
import json
import re
import sys
import tokenize
import unicodedata
from bisect import bisect_right


class Text:
    """Maps tokenize's (row, character column) and ast's (row, UTF-8 byte column) to offsets."""

    def __init__(self, src):
        self.src = src
        self.lines = re.findall(r"[^\n]*\n|[^\n]+$", src)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def char(self, row, col):
        """Offset in characters of tokenize's (row, col)."""
        if row > len(self.lines):
            return len(self.src)
        return min(self.starts[row - 1] + col, len(self.src))

    def char_of_byte(self, row, byte_col):
        """Offset in characters of ast's (row, UTF-8 byte col)."""
        line = self.lines[row - 1] if row <= len(self.lines) else ""
        return self.starts[row - 1] + len(
            line.encode("utf-8")[:byte_col].decode("utf-8", "replace")
        )


class Reader:
    def __init__(self, src):
        self.src = src
        self.text = Text(src)
        # UTF-16 offset of each character offset (the same unless there are astral characters)
        self.utf16 = None
        if any(ord(c) > 0xFFFF for c in src):
            self.utf16 = [0]
            for c in src:
                self.utf16.append(self.utf16[-1] + (2 if ord(c) > 0xFFFF else 1))
        # line starts in characters, to give each token its line and column
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", src)]
        self.toks = []
        self.comments = []
        self.fields = []

    def u16(self, offset):
        return self.utf16[offset] if self.utf16 else offset

    def push(self, kind, text, start, end, value=None):
        line = bisect_right(self.line_starts, start)
        col = self.u16(start) - self.u16(self.line_starts[line - 1])
        tok = [kind, text, self.u16(start), self.u16(end), line, col]
        if value is not None:
            tok.append(value)
        self.toks.append(tok)

    def find_fields(self, tree):
        """[start, end) in characters of the expression of every replacement field."""
        for node in ast.walk(tree):
            if type(node).__name__ in ("FormattedValue", "Interpolation"):
                v = node.value
                start = self.text.char_of_byte(v.lineno, v.col_offset)
                end = self.text.char_of_byte(v.end_lineno, v.end_col_offset)
                # the text there must be the field's expression: never a silently wrong reading
                # (Python 3.11 places an unparenthesised tuple with the field's braces: try inside)
                field = next(
                    (f for f in ((start, end), (start + 1, end - 1)) if self.holds(f, v)), None
                )
                if field is None:
                    raise SyntaxError(
                        "cannot place this f-string field (no exact position from this python3)",
                        ("", v.lineno, v.col_offset + 1, "", None, None),
                    )
                self.fields.append(field)
        self.fields.sort()

    def holds(self, field, node):
        """Whether src[field] is the expression `node`."""
        try:
            expr = ast.parse("(" + self.src[field[0] : field[1]] + ")", mode="eval").body
        except SyntaxError:
            return False
        return ast.dump(expr) == ast.dump(node)

    def run(self, start, end):
        """Tokenizes src[start:end] (the whole text, or one field's expression in parentheses)."""
        whole = start == 0 and end == len(self.src)
        seg = self.src if whole else "(" + self.src[start:end] + ")"
        base = start if whole else start - 1
        seg_text = Text(seg)
        pending = None  # an f-string being gathered from its FSTRING_* tokens (Python 3.12+)
        for t in tokenize.generate_tokens(io.StringIO(seg).readline):
            a = base + seg_text.char(*t.start)
            b = base + seg_text.char(*t.end)
            if not whole and (a < start or b > end):
                continue  # the parentheses around a field
            name = tokenize.tok_name[t.type]
            if t.string and name not in ("NEWLINE", "NL", "INDENT") and self.src[a:b] != t.string:
                # e.g. lines ended by a lone carriage return: never a silently wrong reading
                raise SyntaxError(
                    f"cannot place token {t.string!r}", ("", *t.start, "", None, None)
                )
            if pending is not None:
                if name in ("FSTRING_START", "TSTRING_START"):
                    pending[2] += 1
                elif name in ("FSTRING_END", "TSTRING_END"):
                    pending[2] -= 1
                    if pending[2] == 0:
                        self.string(pending[0], b)
                        pending = None
                continue
            if name in ("FSTRING_START", "TSTRING_START"):
                pending = [a, None, 1]
            elif name == "STRING":
                self.string(a, b)
            elif name == "NAME":
                self.push("name", unicodedata.normalize("NFKC", t.string), a, b)
            elif name == "NUMBER":
                self.push("number", t.string, a, b)
            elif name == "OP":
                self.push("op", t.string, a, b)
            elif name == "NEWLINE" and whole:
                self.push("newline", "\n", a, b)
            elif name == "COMMENT":
                self.comments.append([self.u16(a), self.u16(b)])
            elif name == "ENDMARKER" and whole:
                self.push("newline", "\n", len(self.src), len(self.src))
            elif name == "ERRORTOKEN" and not t.string.isspace():
                raise SyntaxError(
                    f"tokenize cannot read {t.string!r}",
                    ("", t.start[0], t.start[1] + 1, "", None, None),
                )

    def string(self, a, b):
        """One string literal src[a:b], then the code of its replacement fields."""
        lit = self.src[a:b]
        prefix = re.match(r"[A-Za-z]*", lit).group(0)
        quote = lit[len(prefix) : len(prefix) + 3]
        q = len(quote) if quote in ('"""', "'''") else 1
        self.push("string", lit, a, b, lit[len(prefix) + q : len(lit) - q])
        inner = [f for f in self.fields if a <= f[0] and f[1] <= b]
        direct = [
            f for f in inner if not any(g != f and g[0] <= f[0] and f[1] <= g[1] for g in inner)
        ]
        for fa, fb in direct:
            self.push("op", "(", fa, fa)
            self.run(fa, fb)
            self.push("op", ")", fb, fb)


def read(src):
    try:
        tree = ast.parse(src)
    except SyntaxError as e:
        return {"error": {"line": e.lineno or 1, "col": e.offset or 1, "message": e.msg}}
    except ValueError as e:  # null bytes, before Python 3.12
        return {"error": {"line": 1, "col": 1, "message": str(e)}}
    lone_cr = re.search(r"\r(?!\n)", src)
    if lone_cr:  # a line break to Python, not to tokenize's readline: refuse rather than misread
        line = src.count("\n", 0, lone_cr.start()) + 1
        col = lone_cr.start() - (src.rfind("\n", 0, lone_cr.start()) + 1) + 1
        return {
            "error": {
                "line": line,
                "col": col,
                "message": "a line ends with a lone carriage return",
            }
        }
    r = Reader(src)
    try:
        r.find_fields(tree)
        r.run(0, len(src))
    except (SyntaxError, tokenize.TokenError) as e:
        line, col = (
            (e.lineno, e.offset) if isinstance(e, SyntaxError) else (e.args[1][0], e.args[1][1] + 1)
        )
        msg = e.msg if isinstance(e, SyntaxError) else e.args[0]
        return {"error": {"line": line or 1, "col": col or 1, "message": msg}}
    return {"toks": r.toks, "comments": r.comments}


if __name__ == "__main__":
    sys.stdin.reconfigure(encoding="utf-8", newline="")
    sys.stdout.reconfigure(encoding="utf-8")
    json.dump(read(sys.stdin.read()), sys.stdout, ensure_ascii=False)
