"""Compiled components on the fake host: a built ``.wasm`` as a worker of a ``Golem``.

``golem.add_component("shop:cart", wasm="golem-temp/components/shop_cart.wasm")`` makes
every worker of the component run its own instance of the compiled component (one
wasmtime store per worker), with every import served by the same behaviours, through
the same seam, as the generated Python bindings (:mod:`.linker`), and its exports
invoked by name with ``golem.invoke`` (:mod:`.exports`). Values cross with the
converters of :mod:`.convert`; the file is compiled once and cached (:mod:`.component`).
"""

from __future__ import annotations

from golem_fakes.compiled.component import CompiledComponent, cache_root
from golem_fakes.compiled.convert import UnsupportedWitType
from golem_fakes.compiled.exports import UnknownWasmExport, WasmExport
from golem_fakes.compiled.linker import HostCallFailed, LinkReport, WasmInstance

__all__ = ["CompiledComponent", "WasmInstance", "WasmExport", "LinkReport",
           "UnsupportedWitType", "UnknownWasmExport", "HostCallFailed", "cache_root"]
