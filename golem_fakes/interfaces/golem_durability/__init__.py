"""Behaviour of the ``golem:durability`` package (``durability``)."""
