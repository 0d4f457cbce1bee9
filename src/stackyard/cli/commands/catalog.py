"""``stackyard catalog``: list the components Stackyard can plan."""

from __future__ import annotations

from stackyard.app import catalog
from stackyard.cli.output import OutputFormat, console, print_json
from stackyard.cli.results import exit_status
from stackyard.cli.tables import table


def catalog_command(output: OutputFormat) -> int:
    """Print every catalog entry with its install method, placement and status."""
    listing = catalog()
    if output is OutputFormat.json:
        print_json(listing.as_dict())
        return exit_status(listing)
    components = table(
        f"Catalog ({len(listing.components)} components)",
        "component",
        "provides",
        "editions",
        "roles",
        "wave",
        "upstream",
    )
    for component in listing.components:
        upstream = component.upstream
        status = str(upstream.lifecycle)
        if upstream.successor:
            status += f" → {upstream.successor}"
        components.add_row(
            component.name,
            ", ".join(component.provides),
            ", ".join(component.editions),
            ", ".join(component.roles),
            str(component.syncWave),
            status,
        )
    console().print(components)
    return exit_status(listing)
