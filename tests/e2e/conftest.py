"""End-to-end fixtures: the real CLI against the sandbox over HTTP, in an isolated environment.

The same fixtures as tests/cli (that directory keeps help, messages, exit codes and JSON; this one the
whole-export scenarios): `isolated` (autouse: no machine credentials, an empty working directory), `cli`
and `quick_backoff`. The larger `big` sandbox is in tests/conftest.py, shared by both.
"""

from tests.cli.conftest import cli, isolated, quick_backoff

__all__ = ["cli", "isolated", "quick_backoff"]
