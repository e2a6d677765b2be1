"""Keep wasmtime's trap signal handlers installed.

wasmtime turns a wasm trap (``unreachable``, an out-of-bounds access, a division by
zero) into an error through handlers of ``SIGILL``, ``SIGSEGV``, ``SIGBUS`` and
``SIGFPE`` that it installs **once per process**, when the first ``Engine`` is made,
chaining to the handlers in place then. ``faulthandler.disable()`` puts back the
handlers *it* saved when it was enabled — from before wasmtime's — and so silently
uninstalls wasmtime's: pytest calls it when a configuration ends (``_pytest/
faulthandler.py`` ``pytest_unconfigure``), i.e. after every in-process ``pytester`` run.
The next trap of any wasm code in the process then kills it (``SIGILL`` in the
compiled ``.cwasm``; measured: the differential suite's worker crashed at the first
trapping probe after the plugin tests had run pytester).

:func:`remember` records wasmtime's handlers (raw ``struct sigaction``, via libc) right
after the engine is made; :func:`ensure` — called before each entry into wasm by
:class:`golem_fakes.compiled.linker.WasmInstance` — puts them back if something
replaced them (four ``sigaction`` reads when nothing changed). POSIX only; elsewhere
both do nothing.
"""

from __future__ import annotations

import ctypes
import signal
import sys
import threading

__all__ = ["remember", "ensure"]

_SIGNALS = tuple(getattr(signal, n) for n in ("SIGILL", "SIGSEGV", "SIGBUS", "SIGFPE")
                 if hasattr(signal, n))
#: large enough for any libc's ``struct sigaction`` (glibc x86-64: 152 bytes)
_SIZE = 512
_saved: dict[int, bytes] = {}
_lock = threading.Lock()
_libc: ctypes.CDLL | None = None


def _sigaction() -> ctypes._CFuncPtr | None:
    global _libc
    if sys.platform == "win32":
        return None
    if _libc is None:
        try:
            _libc = ctypes.CDLL(None, use_errno=True)
        except OSError:  # pragma: no cover - no libc to talk to
            return None
    return _libc.sigaction


def _read(fn: ctypes._CFuncPtr, sig: int) -> bytes:
    buf = ctypes.create_string_buffer(_SIZE)
    fn(sig, None, buf)
    return buf.raw


def remember() -> None:
    """Record the current handlers (call right after making the first engine)."""
    fn = _sigaction()
    if fn is None:
        return
    with _lock:
        for sig in _SIGNALS:
            _saved.setdefault(sig, _read(fn, sig))


def ensure() -> None:
    """Put wasmtime's handlers back where another handler replaced them."""
    fn = _sigaction()
    if fn is None or not _saved:
        return
    for sig, raw in _saved.items():
        cur = _read(fn, sig)
        if cur[:8] != raw[:8]:  # the handler pointer (first member) differs
            buf = ctypes.create_string_buffer(raw, _SIZE)
            fn(sig, buf, None)
