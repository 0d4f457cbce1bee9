"""The fleet every route works on: the one the service was started with, as a dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from stackyard.app import Fleet


async def fleet_of(request: Request) -> Fleet:
    """The fleet the service was started with (async: nothing to wait for, no thread)."""
    fleet: Fleet = request.app.state.fleet
    return fleet


FleetDep = Annotated[Fleet, Depends(fleet_of)]
