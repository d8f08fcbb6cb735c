"""Help pages without noise: a flag shows no ``<bool>`` beside it.

typer labels every option with its type; for a flag (``--resume``, ``--debug``) that label
says nothing a reader needs. Every command and group of the CLI is built with these classes
(typer's ``cls=``), which leave flags without a type label.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand, TyperGroup, TyperOption

__all__ = ["Command", "Group"]


def _quiet_flags(params: list[Any]) -> list[Any]:
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    return params


class Command(TyperCommand):
    """A command whose flags show no type in ``--help``."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The parameters, flags unlabelled."""
        return _quiet_flags(list(super().get_params(ctx)))


class Group(TyperGroup):
    """A group whose flags (``--help``, ``--version``, completion) show no type in ``--help``."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The parameters, flags unlabelled."""
        return _quiet_flags(list(super().get_params(ctx)))
