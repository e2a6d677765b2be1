"""The worker runtime: component code per worker instance, invocation by export name."""
