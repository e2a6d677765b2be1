"""Behaviours of the ``golem:rpc`` package (``types``: :mod:`.types`)."""
