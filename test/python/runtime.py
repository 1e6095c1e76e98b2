"""Loads runtime blocks (src/emit/runtime/NAME.py) into one namespace, as ml.py.patch lays them
out in ml.py, with stand-ins for the ml.py globals they use (the `builtins` of the blocks'
ruff.toml): enough to define every block and to run the pure parts with plain ints and lists.
A stand-in that is called or subclassed only fails where a test reaches MP-SPDZ's own code.
"""

import functools
import math
import operator
import pathlib

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

RUNTIME = pathlib.Path(__file__).resolve().parents[2] / "src" / "emit" / "runtime"


class FakeRegint(list):
    """regint vectors as lists: `inc` as the INCINT instruction computes it
    (Processor/instructions.h: base + ((i / repeat) % wrap) * step), `+` element-wise or by a
    scalar."""

    @classmethod
    def inc(cls, size, base=0, step=1, repeat=1, wrap=None):
        wrap = size if wrap is None else wrap
        return cls(base + ((i // repeat) % wrap) * step for i in range(size))

    def __add__(self, other):
        if isinstance(other, list):
            assert len(other) == len(self), "regint vectors of different sizes"
            return FakeRegint(a + b for a, b in zip(self, other))
        return FakeRegint(a + other for a in self)

    __iadd__ = __add__


class FakeProgram:
    bit_length = 64


class StandIn:
    """Any other ml.py global: a class the blocks may subclass, never a value to compute with."""


def ml_globals():
    """The names ml.py provides to the blocks (ruff.toml's builtins), as stand-ins."""
    names = ml_py_names()
    namespace = {name: type(name, (StandIn,), {}) for name in names}
    program = FakeProgram()
    namespace.update(
        regint=FakeRegint,
        math=math,
        operator=operator,
        reduce=functools.reduce,
        get_program=lambda: program,
    )
    return namespace


def ml_py_names():
    text = (RUNTIME / "ruff.toml").read_text()
    if tomllib is not None:
        return tomllib.loads(text)["builtins"]
    start = text.index("builtins = [")
    body = text[start + len("builtins = [") : text.index("]", start)]
    return [n.strip().strip('"') for n in body.split(",") if n.strip()]


def load(*blocks):
    """A namespace holding the blocks, in the order given (a block after those it needs)."""
    namespace = ml_globals()
    for block in blocks:
        path = RUNTIME / (block + ".py")
        exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace
