"""Workers calling workers: ``golem:rpc/types@0.2.2`` (issue 16 §1)."""
