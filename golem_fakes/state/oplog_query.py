"""Golem's simplified Lucene query language for ``golem:api/oplog@1.1.7``'s ``search-oplog``.

A port of ``golem-common/src/model/lucene.rs`` (tag v1.3.0-dev.25), a ``combine`` parser:

* ``query := disjunct (space+ disjunct)*`` (several → AND),
  ``disjunct := conjunct (" OR " conjunct)*``, ``conjunct := mod (" AND " mod)*``,
  ``mod := ["NOT" space+] clause``, ``clause := [term (":"|"=")] ( "(" query ")" | /regex/ |
  "quoted phrase" | term )``;
* a term starts with a character outside ``space + - ! ( ) : ^ < > = [ ] " { } ~ \\ /``
  (or a ``\\``-escaped one), may contain ``+``/``-`` after the first, backslashes are
  removed; the keywords ``AND``/``OR``/``NOT`` in term position are a parse error;
* combine's commit semantics are kept: a sub-parser that fails *without consuming*
  input lets the caller try something else (so ``""`` parses as an empty AND, which
  matches everything), one that fails after consuming is an error.

Leaves match a string (``LeafQuery::matches``): a term is a case-insensitive substring, a
phrase a case-sensitive substring, a regex a search (``Regex::is_match``; Python's
``re`` stands in for Rust's ``regex``, whose syntax differs in details). The error texts
of combine's ``easy`` errors are not reproduced character for character: a parse error
reads ``Parse error at position N: <what>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Query", "Or", "And", "Not", "Term", "Phrase", "Regex", "Field", "parse_query",
           "QueryError", "leaf_matches"]

_NOT_TERM_START = set(" \t\n\r+-!():^<>=[]\"{}~\\/\u3000")
_KEYWORDS = ("AND", "OR", "NOT")
_SPACE = " \t\n\r\u000b\u000c"


class QueryError(ValueError):
    """A query that ``Query::parse`` rejects (or a regex ``Regex::new`` rejects)."""


@dataclass(frozen=True)
class Or:
    queries: tuple["Query", ...]


@dataclass(frozen=True)
class And:
    queries: tuple["Query", ...]


@dataclass(frozen=True)
class Not:
    query: "Query"


@dataclass(frozen=True)
class Term:
    value: str


@dataclass(frozen=True)
class Phrase:
    value: str


@dataclass(frozen=True)
class Regex:
    pattern: str


@dataclass(frozen=True)
class Field:
    field: str
    query: "Query"


Query = Or | And | Not | Term | Phrase | Regex | Field


class _Empty(Exception):
    """The parser failed without consuming input (combine's ``PeekErr``)."""


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def error(self, what: str) -> QueryError:
        return QueryError(f"Parse error at position {self.i + 1}: {what}")

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    # --- terminals ---------------------------------------------------------------

    def spaces(self) -> None:
        while self.peek() and self.peek() in _SPACE:
            self.i += 1

    def keyword_sep(self, word: str) -> bool:
        """``attempt(between(spaces(), skip_many1(space()), string(word)))``."""
        start = self.i
        self.spaces()
        if self.s.startswith(word, self.i):
            self.i += len(word)
            if self.peek() and self.peek() in _SPACE:
                self.spaces()
                return True
        self.i = start
        return False

    def term(self) -> str:
        """``term()``: raises :class:`_Empty` if no term starts here."""
        start = self.i
        out: list[str] = []
        first = True
        while True:
            c = self.peek()
            if c == "\\" and self.i + 1 < len(self.s):
                out.append(self.s[self.i:self.i + 2])
                self.i += 2
            elif c and c not in _NOT_TERM_START:
                out.append(c)
                self.i += 1
            elif c and c in "+-" and not first:
                out.append(c)
                self.i += 1
            else:
                break
            first = False
        if first:
            raise _Empty()
        text = "".join(out)
        if text in _KEYWORDS:
            self.i = start  # the error is committed; the position shown is the term's
            raise self.error(f"Keyword {text} used in term position")
        return text.replace("\\", "")

    def delimited(self, delim: str) -> str:
        """``between(token(d), token(d), many(string("\\d") | none_of(d)))``."""
        if self.peek() != delim:
            raise _Empty()
        self.i += 1
        out: list[str] = []
        while True:
            if self.s.startswith("\\" + delim, self.i):
                out.append(delim)
                self.i += 2
            elif self.peek() == "":
                raise self.error(f"expected `{delim}`, found end of input")
            elif self.peek() == delim:
                self.i += 1
                return "".join(out)
            else:
                out.append(self.peek())
                self.i += 1

    # --- grammar -----------------------------------------------------------------

    def field_prefix(self) -> str | None:
        """``optional(attempt(field_name_prefix()))``."""
        start = self.i
        try:
            name = self.term()
        except (_Empty, QueryError):
            self.i = start
            return None
        self.spaces()
        if self.peek() in (":", "=") and self.peek():
            self.i += 1
            self.spaces()
            return name.replace("\\?", "?").replace("\\*", "*")
        self.i = start
        return None

    def clause(self) -> Query:
        start = self.i
        field = self.field_prefix()
        try:
            if self.peek() == "(":
                self.i += 1
                inner = self.query()
                if self.peek() != ")":
                    raise self.error(f"expected `)`, found {self.peek() or 'end of input'!r}")
                self.i += 1
            elif self.peek() == "/":
                inner = Regex(self.delimited("/"))
            elif self.peek() == '"':
                inner = Phrase(self.delimited('"'))
            else:
                inner = Term(self.term())
        except _Empty:
            if self.i != start:  # the field prefix was consumed
                raise self.error("expected a term, a phrase, a regex or a group") from None
            raise
        return inner if field is None else Field(field, inner)

    def mod_clause(self) -> Query:
        start = self.i
        negated = self.keyword_sep("NOT")
        try:
            c = self.clause()
        except _Empty:
            if negated:
                raise self.error("expected a clause after NOT") from None
            self.i = start
            raise
        return Not(c) if negated else c

    def sep_by(self, element, sep) -> list[Query]:  # type: ignore[no-untyped-def]
        items: list[Query] = []
        try:
            items.append(element())
        except _Empty:
            return items
        while sep():
            try:
                items.append(element())
            except _Empty:
                raise self.error("expected a clause") from None
        return items

    def conjunct(self) -> Query:
        items = self.sep_by(self.mod_clause, lambda: self.keyword_sep("AND"))
        return items[0] if len(items) == 1 else And(tuple(items))

    def disjunct(self) -> Query:
        items = self.sep_by(self.conjunct, lambda: self.keyword_sep("OR"))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def many1_space(self) -> bool:
        if self.peek() and self.peek() in _SPACE:
            self.spaces()
            return True
        return False

    def query(self) -> Query:
        items = self.sep_by(self.disjunct, self.many1_space)
        return items[0] if len(items) == 1 else And(tuple(items))


def parse_query(text: str) -> Query:
    """``Query::parse``: the whole text must be one query; :class:`QueryError` otherwise."""
    p = _Parser(text)
    q = p.query()
    if p.i != len(text):
        raise p.error(f"unexpected {text[p.i]!r}, expected end of input")
    return q


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}


def leaf_matches(leaf: Term | Phrase | Regex, s: str) -> bool:
    """``LeafQuery::matches``. An invalid regex raises :class:`QueryError` with
    ``Invalid regular expression: ...`` (Golem converts the leaf with ``unwrap()`` while
    matching, so the real executor panics there)."""
    if type(leaf) is Term:
        return leaf.value.lower() in s.lower()
    if type(leaf) is Phrase:
        return leaf.value in s
    pat = _REGEX_CACHE.get(leaf.pattern)
    if pat is None:
        try:
            pat = re.compile(leaf.pattern)
        except re.error as e:
            raise QueryError(f"Invalid regular expression: {e}") from None
        _REGEX_CACHE[leaf.pattern] = pat
    return pat.search(s) is not None
