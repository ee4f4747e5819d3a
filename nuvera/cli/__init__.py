"""The `nuvera` command. Its commands and flags are a contract: other tools and the docs depend on them."""

from nuvera.cli.main import app, main

__all__ = ["app", "main"]
