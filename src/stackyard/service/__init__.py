"""The fleet service: a web API and dashboard over the application layer (``stackyard serve``).

A shell, like the command line: it imports only the root of ``stackyard.app`` (and
``stackyard.errors``), and formats what the use cases return, as JSON under ``/api/v1``
(``api``, shapes in ``responses``) or as server-rendered pages (``pages``, ``charts``,
``templates/``). Errors map to statuses in one place (``errors``); the caller comes from
one dependency (``users``), the seam where login plugs in.
"""

from __future__ import annotations

from stackyard.service.factory import create_app
from stackyard.service.server import DEFAULT_HOST, DEFAULT_PORT, serve

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "create_app", "serve"]
