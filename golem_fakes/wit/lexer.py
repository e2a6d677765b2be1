"""Tokenizer for WIT source text.

One compiled regular expression drives the scan; tokens carry their byte offset so
that line and column are only computed when an error is reported. Comments are
collected and attached to the token that follows them: wit-parser treats *every*
comment before an item (``//``, ``/* */`` — nested ones too —, ``///``, ``/** */``)
as that item's docs, and componentize-py prints them as docstrings, so
:func:`docs_text` does the same.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .model import WitError

__all__ = ["Token", "KEYWORDS", "Source", "tokenize", "docs_text"]

#: Reserved words: an identifier spelled like one of these must be ``%``-escaped.
KEYWORDS: frozenset[str] = frozenset({
    "use", "type", "func", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64",
    "f32", "f64", "char", "resource", "own", "borrow", "record", "flags", "variant",
    "enum", "bool", "string", "option", "result", "future", "stream", "error-context",
    "list", "map", "_", "as", "from", "static", "interface", "tuple", "world", "import",
    "export", "package", "constructor", "include", "with", "async",
})

_PRE = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
_TOKEN_RE = re.compile(
    r"""
    [ \t\r\n]*
    (?:
    (?P<line>//[^\n]*)
  | (?P<block>/\*)
  | (?P<id>%?[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*)
  | (?P<num>[0-9]+(?:\.[0-9]+\.[0-9]+(?:-""" + _PRE + r""")?(?:\+""" + _PRE + r""")?)?)
  | (?P<punct>->|[{}()<>,;:=./@*+\-])
    )
    """,
    re.VERBOSE,
)
_WORD = r"(?:[a-z][a-z0-9]*|[A-Z][A-Z0-9]*)"
_VALID_ID_RE = re.compile(_WORD + r"(?:-" + _WORD + r")*")
_BLOCK_RE = re.compile(r"/\*|\*/")


@dataclass(slots=True)
class Token:
    """One token. ``kind`` is ``"id"``, ``"num"``, a keyword, a punctuation string or
    ``"eof"``; ``text`` is the identifier (``%`` removed), number or the keyword/punct
    itself; ``pos`` is the character offset; ``docs`` holds the raw doc comments that
    came right before this token."""

    kind: str
    text: str
    pos: int
    docs: tuple[str, ...] = ()


class Source:
    """A WIT file's text plus its name, mapping offsets to ``line:column``."""

    __slots__ = ("path", "text", "_line_starts")

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self._line_starts: list[int] | None = None

    def line_col(self, pos: int) -> tuple[int, int]:
        """1-based line and column of character offset ``pos``."""
        if self._line_starts is None:
            starts = [0]
            starts.extend(m.end() for m in re.finditer("\n", self.text))
            self._line_starts = starts
        line = bisect.bisect_right(self._line_starts, pos) - 1
        return line + 1, pos - self._line_starts[line] + 1

    def error(self, pos: int, message: str) -> WitError:
        """A :class:`WitError` located at ``pos`` in this file."""
        line, col = self.line_col(pos)
        return WitError(message, self.path, line, col)


_valid_ids: set[str] = set()


def _valid_id(name: str) -> bool:
    """kebab-case check (each word all-lowercase or all-uppercase), memoised."""
    if name in _valid_ids:
        return True
    if _VALID_ID_RE.fullmatch(name) is None:
        return False
    if len(_valid_ids) < 100_000:
        _valid_ids.add(name)
    return True


def tokenize(src: Source) -> list[Token]:
    """Split ``src`` into tokens, ending with an ``eof`` token."""
    text = src.text
    n = len(text)
    pos = 0
    tokens: list[Token] = []
    docs: list[str] = []
    nodocs: tuple[str, ...] = ()
    match = _TOKEN_RE.match
    append = tokens.append
    keywords = KEYWORDS
    while True:
        m = match(text, pos)
        if m is None:
            while pos < n and text[pos] in " \t\r\n":
                pos += 1
            if pos >= n:
                break
            raise src.error(pos, f"unexpected character {text[pos]!r}")
        kind = m.lastgroup
        end = m.end()
        if kind == "id":
            word = m.group(kind)
            start = end - len(word)
            if word[0] == "%":
                word = word[1:]
                if not _valid_id(word):
                    raise src.error(start, f"identifier {word!r} is not valid kebab-case")
                append(Token("id", word, start, tuple(docs) if docs else nodocs))
            elif word in keywords:
                append(Token(word, word, start, tuple(docs) if docs else nodocs))
            else:
                if not _valid_id(word):
                    raise src.error(start, f"identifier {word!r} is not valid kebab-case "
                                           "(lowercase or uppercase words joined by '-')")
                append(Token("id", word, start, tuple(docs) if docs else nodocs))
            if docs:
                docs.clear()
        elif kind == "punct" or kind == "num":
            t = m.group(kind)
            append(Token("num" if kind == "num" else t, t, end - len(t),
                         tuple(docs) if docs else nodocs))
            if docs:
                docs.clear()
        elif kind == "line":
            docs.append(m.group(kind))
        else:  # block comment, possibly nested
            start = end - 2
            depth = 1
            scan = end
            while depth:
                b = _BLOCK_RE.search(text, scan)
                if b is None:
                    raise src.error(start, "unterminated block comment")
                depth += 1 if b.group() == "/*" else -1
                scan = b.end()
            docs.append(text[start:scan])
            end = scan
        pos = end
    tokens.append(Token("eof", "end of file", n, tuple(docs)))
    return tokens


def docs_text(raw: tuple[str, ...]) -> str | None:
    """Turn the comments before an item into wit-parser's ``Docs.contents``.

    Like wit-parser (and so componentize-py), *every* comment counts: ``//`` and
    ``/* */`` as well as ``///`` and ``/** */``. Leading slashes are removed (and
    ``/** */`` delimiters), trailing whitespace is trimmed, the smallest indentation
    common to the non-empty comments is removed, lines are joined with ``\n`` and
    trailing newlines dropped. ``None`` when there is no comment at all.
    """
    if not raw:
        return None
    docs: list[str] = []
    for doc in raw:
        if doc == "/**/":
            contents = ""
        elif doc.startswith("/**"):
            contents = doc[3:-2]
        else:
            contents = doc.lstrip("/")
        docs.append(contents.rstrip())
    widths = [len(d) - len(d.lstrip(" \t\n\r\x0c")) for d in docs if d]
    indent = min(widths, default=0)
    if indent:
        pad = " " * indent
        docs = [d[indent:] if d.startswith(pad) else d for d in docs]
    out: list[str] = []
    for d in docs:
        if not d:
            out.append("")
        else:
            out.extend(line[:-1] if line.endswith("\r") else line for line in d.split("\n"))
    return "\n".join(out).rstrip("\n")
