"""``stackyard catalog``: list the components Stackyard can plan."""

from __future__ import annotations

from rich.table import Table

from stackyard.app import catalog
from stackyard.cli.errors import OK
from stackyard.cli.output import OutputFormat, console, print_json


def catalog_command(output: OutputFormat) -> int:
    """Print every catalog entry with its install method, placement and status."""
    listing = catalog()
    if output is OutputFormat.json:
        print_json(listing.as_dict())
        return OK
    table = Table(title=f"Catalog ({len(listing.components)} components)", expand=False)
    for column in ("component", "provides", "editions", "roles", "wave", "upstream"):
        table.add_column(column, overflow="fold")
    for component in listing.components:
        upstream = component.upstream
        status = str(upstream.lifecycle)
        if upstream.successor:
            status += f" → {upstream.successor}"
        table.add_row(
            component.name,
            ", ".join(component.provides),
            ", ".join(component.editions),
            ", ".join(component.roles),
            str(component.syncWave),
            status,
        )
    console().print(table)
    return OK
