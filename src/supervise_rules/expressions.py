"""A small, safe expression language for computed metrics in rules.

Rule authors write, for example::

    100 * teachers_above_required_degree / students
    sum(if(ownership == "public" or inclusive, children, 0)) / sum(children)
    music_rooms >= ceil(classes / 12)

The text is tokenized and parsed by our own recursive-descent grammar and
compiled straight to narwhals column expressions. Nothing is ever handed to
Python's ``eval``/``exec``: there is no attribute access, indexing, lambda,
import or dunder name in the grammar, so such text is a syntax error.

Grammar (lowest precedence first)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)?
    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | STRING | "true" | "false" | NAME | `any header`
             | FUNCTION "(" [expr ("," expr)*] ")" | "(" expr ")"

A NAME is a column: an English contract name or a Chinese header (letters,
digits and ``_``, not starting with a digit); any other header can be quoted in
backticks. Functions: aggregates ``sum count mean min max``, and ``abs ceil
floor round(x, digits) if(cond, then, else) is_null(x)``.

Division compiles to *null where the denominator is 0*, and every denominator
is recorded on the result so that validators can turn a zero denominator into
an ``error`` finding naming the row and column instead of a silent pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import narwhals as nw

from .errors import ExpressionError

AGGREGATES = {"sum", "count", "mean", "min", "max"}
SCALAR_FUNCTIONS = {"abs": 1, "ceil": 1, "floor": 1, "round": 2, "if": 3, "is_null": 1}
KEYWORDS = {"and", "or", "not", "true", "false"}
MAX_LENGTH = 2000

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>"[^"\\]*"|'[^'\\]*')
  | (?P<quoted>`[^`]+`)
  | (?P<name>[^\W\d]\w*)
  | (?P<op><=|>=|==|!=|[-+*/(),<>])
    """,
    re.VERBOSE | re.UNICODE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    """The tokens of a rule expression; :class:`ExpressionError` at the first bad character."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(text, 0, f"expression longer than {MAX_LENGTH} characters")
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ExpressionError(text, pos, f"unexpected character {text[pos]!r}")
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, m.group(), pos))
        pos = m.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# --- syntax tree -----------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Literal(Node):
    value: float | int | str | bool


@dataclass(frozen=True)
class Column(Node):
    name: str


@dataclass(frozen=True)
class Unary(Node):
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call(Node):
    function: str
    args: tuple[Node, ...]


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, tok: Token, message: str) -> ExpressionError:
        return ExpressionError(self.text, tok.pos, message)

    def expect(self, text: str) -> Token:
        tok = self.take()
        if tok.text != text:
            found = repr(tok.text) if tok.kind != "end" else "end of expression"
            raise self.error(tok, f"expected {text!r}, found {found}")
        return tok

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.error(self.peek(), "empty expression")
        node = self.or_()
        tok = self.peek()
        if tok.kind != "end":
            raise self.error(tok, f"unexpected {tok.text!r}")
        return node

    def _is_word(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "name" and tok.text == word

    def or_(self) -> Node:
        node = self.and_()
        while self._is_word("or"):
            tok = self.take()
            node = Binary(tok.pos, "or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self._is_word("and"):
            tok = self.take()
            node = Binary(tok.pos, "and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self._is_word("not"):
            tok = self.take()
            return Unary(tok.pos, "not", self.not_())
        return self.compare()

    def compare(self) -> Node:
        node = self.sum_()
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            node = Binary(tok.pos, tok.text, node, self.sum_())
            nxt = self.peek()
            if nxt.kind == "op" and nxt.text in ("==", "!=", "<", "<=", ">", ">="):
                raise self.error(nxt, "chained comparisons are not allowed; use 'and'")
        return node

    def sum_(self) -> Node:
        node = self.product()
        while self.peek().kind == "op" and self.peek().text in ("+", "-"):
            tok = self.take()
            node = Binary(tok.pos, tok.text, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.peek().kind == "op" and self.peek().text in ("*", "/"):
            tok = self.take()
            if self.peek().kind == "op" and self.peek().text == "*":
                raise self.error(self.peek(), "'**' is not allowed")
            node = Binary(tok.pos, tok.text, node, self.unary())
        return node

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "op" and tok.text == "-":
            self.take()
            return Unary(tok.pos, "-", self.unary())
        return self.atom()

    def atom(self) -> Node:
        tok = self.take()
        if tok.kind == "number":
            value = float(tok.text)
            return Literal(
                tok.pos,
                int(value)
                if value.is_integer() and "." not in tok.text and "e" not in tok.text.lower()
                else value,
            )
        if tok.kind == "string":
            return Literal(tok.pos, tok.text[1:-1])
        if tok.kind == "quoted":
            return Column(tok.pos, tok.text[1:-1].strip())
        if tok.kind == "op" and tok.text == "(":
            node = self.or_()
            self.expect(")")
            return node
        if tok.kind == "name":
            return self.name(tok)
        found = repr(tok.text) if tok.kind != "end" else "end of expression"
        raise self.error(tok, f"expected a number, column or function, found {found}")

    def name(self, tok: Token) -> Node:
        word = tok.text
        if word.startswith("__") or word.endswith("__"):
            raise self.error(tok, f"name {word!r} is not allowed")
        if word in ("true", "false"):
            return Literal(tok.pos, word == "true")
        if word in KEYWORDS:
            raise self.error(tok, f"unexpected keyword {word!r}")
        if self.peek().kind == "op" and self.peek().text == "(":
            return self.call(tok)
        nxt = self.peek()
        if nxt.kind == "end" or nxt.kind in ("op", "name"):
            return Column(tok.pos, word)
        raise self.error(nxt, f"unexpected {nxt.text!r}")

    def call(self, tok: Token) -> Node:
        fn = tok.text
        if fn not in AGGREGATES and fn not in SCALAR_FUNCTIONS:
            known = ", ".join(sorted(AGGREGATES | set(SCALAR_FUNCTIONS)))
            raise self.error(tok, f"unknown function {fn!r} (allowed: {known})")
        self.expect("(")
        args: list[Node] = []
        if not (self.peek().kind == "op" and self.peek().text == ")"):
            args.append(self.or_())
            while self.peek().kind == "op" and self.peek().text == ",":
                self.take()
                args.append(self.or_())
        self.expect(")")
        arity = 1 if fn in AGGREGATES else SCALAR_FUNCTIONS[fn]
        if len(args) != arity:
            raise self.error(tok, f"{fn}() takes {arity} argument(s), got {len(args)}")
        return Call(tok.pos, fn, tuple(args))


def parse(text: str) -> Node:
    """Parse an expression into a syntax tree, or raise :class:`ExpressionError`."""
    if not isinstance(text, str):
        raise ExpressionError(str(text), 0, "an expression must be a string")
    return _Parser(text).parse()


# --- compilation to narwhals -------------------------------------------------------


@dataclass
class Compiled:
    """A compiled expression and what validators need to know about it."""

    text: str
    expr: nw.Expr
    columns: list[str] = field(default_factory=list)
    #: (denominator expression, its source text) for every division
    denominators: list[tuple[nw.Expr, str]] = field(default_factory=list)
    aggregate: bool = False
    #: the per-row arguments of every aggregate (``children`` in ``sum(children)``):
    #: a row where one is null would silently drop out of the aggregate
    aggregate_args: list[nw.Expr] = field(default_factory=list)

    def null_in_aggregate(self) -> nw.Expr:
        """True in rows whose contribution to an aggregate is missing."""
        if not self.aggregate_args:
            return nw.lit(False)
        return nw.any_horizontal(*[a.is_null() for a in self.aggregate_args], ignore_nulls=True)

    def zero_denominator(self) -> nw.Expr:
        """True where any denominator of this expression is exactly zero."""
        if not self.denominators:
            return nw.lit(False)
        return nw.any_horizontal(
            *[(d == 0).fill_null(False) for d, _ in self.denominators], ignore_nulls=True
        )


Resolver = Callable[[str], str | None]


def compile_expression(text: str, resolve: Resolver | None = None) -> Compiled:
    """Compile ``text`` into a narwhals expression.

    :param resolve: maps a name as written (English or Chinese header) to the
        frame's column name; returning ``None`` makes the name an error.
    """
    tree = parse(text)
    out = Compiled(text=text, expr=nw.lit(0))
    out.expr = _Compiler(text, resolve, out).visit(tree, in_aggregate=False)
    return out


class _Compiler:
    def __init__(self, text: str, resolve: Resolver | None, out: Compiled):
        self.text = text
        self.resolve = resolve
        self.out = out

    def visit(self, node: Node, *, in_aggregate: bool) -> Any:
        if isinstance(node, Literal):
            return nw.lit(node.value)
        if isinstance(node, Column):
            name = self.resolve(node.name) if self.resolve else node.name
            if name is None:
                raise ExpressionError(self.text, node.pos, f"unknown column {node.name!r}")
            if name not in self.out.columns:
                self.out.columns.append(name)
            return nw.col(name)
        if isinstance(node, Unary):
            operand = self.visit(node.operand, in_aggregate=in_aggregate)
            return ~operand if node.op == "not" else -operand
        if isinstance(node, Binary):
            left = self.visit(node.left, in_aggregate=in_aggregate)
            right = self.visit(node.right, in_aggregate=in_aggregate)
            return self.binary(node, left, right)
        if isinstance(node, Call):
            return self.call(node, in_aggregate=in_aggregate)
        raise AssertionError(node)  # pragma: no cover - the parser makes no other node

    def binary(self, node: Binary, left: Any, right: Any) -> Any:
        op = node.op
        if op == "/":
            denominator_text = _source_of(self.text, node.right)
            self.out.denominators.append((right, denominator_text))
            return nw.when(right != 0).then(left / right)
        return {
            "+": lambda: left + right,
            "-": lambda: left - right,
            "*": lambda: left * right,
            "==": lambda: left == right,
            "!=": lambda: left != right,
            "<": lambda: left < right,
            "<=": lambda: left <= right,
            ">": lambda: left > right,
            ">=": lambda: left >= right,
            "and": lambda: left & right,
            "or": lambda: left | right,
        }[op]()

    def call(self, node: Call, *, in_aggregate: bool) -> Any:
        fn = node.function
        if fn in AGGREGATES:
            if in_aggregate:
                raise ExpressionError(self.text, node.pos, f"{fn}() inside another aggregate")
            self.out.aggregate = True
            arg = self.visit(node.args[0], in_aggregate=True)
            self.out.aggregate_args.append(arg)
            return {
                "sum": lambda: arg.sum(),
                "count": lambda: arg.count(),
                "mean": lambda: arg.mean(),
                "min": lambda: arg.min(),
                "max": lambda: arg.max(),
            }[fn]()
        args = [self.visit(a, in_aggregate=in_aggregate) for a in node.args]
        if fn == "if":
            # An unknown condition gives an unknown result (not the else branch),
            # so a missing value can never slip silently into a total.
            return (
                nw.when(args[0].is_null()).then(nw.lit(None)).when(args[0]).then(args[1]).otherwise(args[2])
            )
        if fn == "round":
            digits = node.args[1]
            if not (isinstance(digits, Literal) and isinstance(digits.value, int)):
                raise ExpressionError(self.text, digits.pos, "round() digits must be an integer")
            return args[0].round(digits.value)
        return {
            "abs": lambda: args[0].abs(),
            "ceil": lambda: args[0].ceil(),
            "floor": lambda: args[0].floor(),
            "is_null": lambda: args[0].is_null(),
        }[fn]()


def _source_of(text: str, node: Node) -> str:
    """Best-effort source text of a sub-expression, for messages."""
    if isinstance(node, Column):
        return node.name
    if isinstance(node, Literal):
        return str(node.value)
    if isinstance(node, Call):
        return f"{node.function}(…)"
    return text[node.pos :].strip() or text
