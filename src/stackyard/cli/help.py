"""How ``--help`` shows options: a flag takes no value, so it shows no value metavar.

Typer's rich help prints the type of every option, ``<bool>`` included, next to flags
such as ``--check`` or ``--help`` that take no value; kubectl, helm and gh show none.
The command classes below clear that label for flags (a boolean option, a counter, the
``--help`` and completion options) when the help is drawn; options taking a value
keep theirs (``<path>``, ``<text|json>``).
"""

from __future__ import annotations

from typer import _click
from typer.core import TyperCommand, TyperGroup, TyperOption


def _without_flag_metavars(params: list[_click.Parameter]) -> list[_click.Parameter]:
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""  # typer prints the metavar, when set, instead of the type
    return params


class Command(TyperCommand):
    """A subcommand whose flags show no ``<bool>`` in ``--help``."""

    def get_params(self, ctx: _click.Context) -> list[_click.Parameter]:
        """The parameters, flags without a value label."""
        return _without_flag_metavars(super().get_params(ctx))


class Group(TyperGroup):
    """The root command, whose flags (``--version``, ``--quiet``...) show no ``<bool>``."""

    def get_params(self, ctx: _click.Context) -> list[_click.Parameter]:
        """The parameters, flags without a value label."""
        return _without_flag_metavars(super().get_params(ctx))
