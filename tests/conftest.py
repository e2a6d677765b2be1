# pytester (for tests/plugin) must be enabled from a top-level conftest: pytest refuses
# ``pytest_plugins`` in nested conftest files.
pytest_plugins = ["pytester"]
