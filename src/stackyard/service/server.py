"""Run the service under uvicorn (``stackyard serve``)."""

from __future__ import annotations

import copy
import json
import logging
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from pydantic import TypeAdapter
from uvicorn.config import LOGGING_CONFIG

from stackyard.app import open_fleet, settle_collections
from stackyard.service.factory import create_app
from stackyard.service.security import SecurityOptions, security_from_options
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
    workers: int = 1,
    ready: Callable[[], None] | None = None,
) -> None:
    """Check the security options, open the fleet's store, then serve until interrupted.

    Both happen before the server listens (``ready`` is called then), so bad options or a
    store URL that does not answer are an error on the command line, not a server that
    fails every request.

    ``workers`` above one serves from that many processes sharing the socket (uvicorn's
    workers), each opening the store and checking the options again as this process did;
    they share what they read through the store, as replicas do.

    Raises:
        InputError: contradicting or incomplete security options (see
            :func:`~stackyard.service.security.security_from_options`).
        StoreError: the store cannot be opened.
    """
    options = SecurityOptions(
        host=host,
        data_dir=data_dir,
        oidc_issuer=oidc_issuer,
        oidc_client_id=oidc_client_id,
        oidc_client_secret_file=oidc_client_secret_file,
        oidc_ca_file=oidc_ca_file,
        oidc_group_roles=tuple(oidc_group_roles),
        session_secret_file=session_secret_file,
        public_url=public_url,
        insecure_no_auth=insecure_no_auth,
    )
    security = security_from_options(options)
    if security.oidc is None and not is_loopback(host):
        log.warning("serving on %s without sign-in: every caller is an operator", host)
    fleet = open_fleet(database_url, data_dir)
    settle_collections()  # a long-running process: collections paid per new state
    if ready is not None:
        ready()
    if workers > 1:
        fleet.close()
        _serve_workers(options, database_url, port, workers)
        return
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


_HANDED = TypeAdapter(SecurityOptions)
"""How the options go to the workers: as JSON (no secret is in them, only files' paths)."""

_WORKER_OPTIONS = "STACKYARD_SERVE_WORKER_OPTIONS"
_WORKER_FORM_KEY = "STACKYARD_SERVE_WORKER_FORM_KEY"


def _serve_workers(
    options: SecurityOptions, database_url: str | None, port: int, workers: int
) -> None:
    """Serve from ``workers`` processes, each building the app with :func:`worker_app`.

    The workers are started afresh (uvicorn spawns them), so they get the options through
    their environment. A service without sign-in signs its forms' CSRF tokens with a key
    of its own; the workers must share one, so this process makes it and hands it down
    the same way (never written anywhere).
    """
    os.environ.update(worker_environment(options, database_url))
    uvicorn.run(
        f"{__name__}:worker_app",
        factory=True,
        host=options.host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=_log_config(),
    )


def worker_environment(options: SecurityOptions, database_url: str | None) -> dict[str, str]:
    """What :func:`worker_app` reads from its environment.

    The options, the store's URL and a new key for the forms' CSRF tokens, which every
    worker shares.
    """
    handed = {"options": _HANDED.dump_python(options, mode="json"), "database_url": database_url}
    return {
        _WORKER_OPTIONS: json.dumps(handed),
        _WORKER_FORM_KEY: secrets.token_urlsafe(32),
    }


def worker_app() -> FastAPI:
    """The app of one worker process of :func:`serve` (the store is opened at its startup)."""
    settle_collections()
    handed = json.loads(os.environ[_WORKER_OPTIONS])
    options = _HANDED.validate_python(handed["options"])
    return create_app(
        database_url=handed["database_url"],
        data_dir=options.data_dir,
        security=security_from_options(options),
        form_key=os.environ[_WORKER_FORM_KEY],
    )
