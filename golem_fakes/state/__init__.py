"""The environment's state models, free of binding concerns."""

from golem_fakes.state.environment import Environment

__all__ = ["Environment"]
