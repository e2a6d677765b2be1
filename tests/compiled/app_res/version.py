"""What differs between the component's versions (tests/compiled/build.py builds a
second version with ``SUFFIX = " (v2)"``)."""

SUFFIX = ""
