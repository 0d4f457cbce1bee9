"""Run the service under uvicorn (``stackyard serve``)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable
from pathlib import Path

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from stackyard.app import open_fleet
from stackyard.service.factory import create_app
from stackyard.service.security import security_from_options
from stackyard.service.sessions import is_loopback

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
log = logging.getLogger("stackyard.service")


def _log_config() -> dict[str, object]:
    """Uvicorn's logging, with the service's own messages (sign-ins, bugs) beside its own."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["stackyard.service"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    return config


def serve(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    database_url: str | None = None,
    data_dir: Path | None = None,
    oidc_issuer: str | None = None,
    oidc_client_id: str | None = None,
    oidc_client_secret_file: Path | None = None,
    oidc_ca_file: Path | None = None,
    oidc_group_roles: Iterable[str] = (),
    session_secret_file: Path | None = None,
    public_url: str | None = None,
    insecure_no_auth: bool = False,
    ready: Callable[[], None] | None = None,
) -> None:
    """Check the security options, open the fleet's store, then serve until interrupted.

    Both happen before the server listens (``ready`` is called then), so bad options or a
    store URL that does not answer are an error on the command line, not a server that
    fails every request.

    Raises:
        InputError: contradicting or incomplete security options (see
            :func:`~stackyard.service.security.security_from_options`).
        StoreError: the store cannot be opened.
    """
    security = security_from_options(
        host=host,
        data_dir=data_dir,
        oidc_issuer=oidc_issuer,
        oidc_client_id=oidc_client_id,
        oidc_client_secret_file=oidc_client_secret_file,
        oidc_ca_file=oidc_ca_file,
        oidc_group_roles=oidc_group_roles,
        session_secret_file=session_secret_file,
        public_url=public_url,
        insecure_no_auth=insecure_no_auth,
    )
    if security.oidc is None and not is_loopback(host):
        log.warning("serving on %s without sign-in: every caller is an operator", host)
    fleet = open_fleet(database_url, data_dir)
    if ready is not None:
        ready()
    try:
        uvicorn.run(
            create_app(fleet, security=security),
            host=host,
            port=port,
            log_level="info",
            log_config=_log_config(),
        )
    finally:
        fleet.close()
