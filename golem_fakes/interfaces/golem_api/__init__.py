"""Behaviour of the ``golem:api`` package (``host``, later ``oplog`` and ``context``)."""
