"""The ``mteja`` command."""

from __future__ import annotations

from mteja.cli.app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
