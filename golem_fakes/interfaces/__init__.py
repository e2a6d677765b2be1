"""Behaviour modules: a package per WIT package, a module per interface.

The registry imports ``golem_fakes.interfaces.<ns>_<pkg>.<iface>`` lazily on the first
call of a function of that interface (see :mod:`golem_fakes.bindings.registry`).
"""
