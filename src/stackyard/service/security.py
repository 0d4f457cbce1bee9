"""How the service is secured, decided once from ``stackyard serve``'s options.

Two ways to run:

- **Sign-in through OIDC** (``--oidc-issuer`` and ``--oidc-client-id``): every page and API
  call needs a signed-in user or an API token, with the roles their groups grant.
- **Open**: every caller is the anonymous operator. Allowed only where nobody else can
  connect — the service bound to a loopback address — or when ``--insecure-no-auth`` says
  so explicitly (a test rig behind something that authenticates for it). Anything else is
  refused before the server listens: an open service on a network address would let anyone
  who reaches it change platforms.

Secrets come from files (``--oidc-client-secret-file``, ``--session-secret-file``), never
from the command line, which other users of the host see in the process list. A provider
whose certificate a private CA signed is trusted through ``--oidc-ca-file``, checked here
so that a missing or unreadable bundle stops the start, not the first sign-in.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from stackyard.app import default_data_dir
from stackyard.errors import COMMAND_LINE, InputError, Problem
from stackyard.service import sessions
from stackyard.service.auth import OidcSettings, parse_group_roles


@dataclass(frozen=True)
class Security:
    """Sign-in through ``oidc`` with ``session`` cookies, or open to every caller."""

    oidc: OidcSettings | None = None
    session: sessions.SessionSettings | None = None


OPEN = Security()


def _url_problem(option: str, url: str) -> Problem | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Problem(COMMAND_LINE, option, f"{url!r} is not an http(s) URL")
    if parts.scheme == "http" and not sessions.is_loopback(parts.hostname):
        return Problem(
            COMMAND_LINE,
            option,
            f"{url} is plain HTTP to another host",
            "use https://; plain http only to a loopback address",
        )
    return None


def _read_client_secret(path: Path) -> str:
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise InputError(
            [
                Problem(
                    COMMAND_LINE, "--oidc-client-secret-file", f"cannot read {path}: {e.strerror}"
                )
            ]
        ) from e
    if not secret:
        raise InputError([Problem(COMMAND_LINE, "--oidc-client-secret-file", f"{path} is empty")])
    return secret


def _ca_problem(path: Path) -> Problem | None:
    """Why ``path`` is no CA bundle to verify the provider with, or None."""
    try:
        ssl.create_default_context(cafile=path)
    except FileNotFoundError:
        return Problem(COMMAND_LINE, "--oidc-ca-file", f"there is no file {path}")
    except (OSError, ssl.SSLError) as e:
        return Problem(
            COMMAND_LINE,
            "--oidc-ca-file",
            f"{path} holds no CA certificate ({e.strerror or e})",
            "a PEM file of one or more CA certificates",
        )
    return None


@dataclass(frozen=True)
class SecurityOptions:
    """``stackyard serve``'s security options, as its command line gives them."""

    host: str
    data_dir: Path | None = None
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret_file: Path | None = None
    oidc_ca_file: Path | None = None
    oidc_group_roles: tuple[str, ...] = ()
    session_secret_file: Path | None = None
    public_url: str | None = None
    insecure_no_auth: bool = False


def security_from_options(options: SecurityOptions) -> Security:
    """The service's security from ``stackyard serve``'s options, or every problem with them.

    The session secret is ``session_secret_file`` (which must exist), else the file
    ``session-secret`` in the data directory, made with a random secret (mode 0600) the
    first time. Replicas sharing a PostgreSQL store need the same file: pass it.

    Raises:
        InputError: contradicting or incomplete options, an unreadable secret, or an open
            service bound to a non-loopback address without ``insecure_no_auth``.
    """
    group_roles = list(options.oidc_group_roles)
    problems: list[Problem] = []
    if options.public_url is not None and (
        problem := _url_problem("--public-url", options.public_url)
    ):
        problems.append(problem)
    elif options.public_url is not None and urlsplit(options.public_url).path.strip("/"):
        # The dashboard's links and redirects are paths from the root of the host.
        problems.append(
            Problem(
                COMMAND_LINE,
                "--public-url",
                f"{options.public_url} has a path",
                "serve the service at the root of its own host name",
            )
        )
    if options.oidc_issuer is None:
        for option, given in (
            ("--oidc-client-id", options.oidc_client_id),
            ("--oidc-client-secret-file", options.oidc_client_secret_file),
            ("--oidc-ca-file", options.oidc_ca_file),
            ("--oidc-group-role", group_roles or None),
            ("--session-secret-file", options.session_secret_file),
        ):
            if given is not None:
                problems.append(Problem(COMMAND_LINE, option, "needs --oidc-issuer"))
        if not options.insecure_no_auth and not sessions.is_loopback(options.host):
            problems.append(
                Problem(
                    COMMAND_LINE,
                    "--host",
                    f"refusing to serve on {options.host} without sign-in: anyone who reaches it "
                    "could change platforms",
                    "configure OIDC with --oidc-issuer and --oidc-client-id, bind to "
                    "127.0.0.1, or pass --insecure-no-auth if something in front of the "
                    "service authenticates every caller",
                )
            )
        if problems:
            raise InputError(problems)
        return OPEN
    if options.insecure_no_auth:
        problems.append(
            Problem(COMMAND_LINE, "--insecure-no-auth", "contradicts --oidc-issuer: choose one")
        )
    if problem := _url_problem("--oidc-issuer", options.oidc_issuer):
        problems.append(problem)
    if not options.oidc_client_id:
        problems.append(Problem(COMMAND_LINE, "--oidc-client-id", "is needed with --oidc-issuer"))
    if options.oidc_ca_file is not None and (problem := _ca_problem(options.oidc_ca_file)):
        problems.append(problem)
    try:
        roles = parse_group_roles(group_roles)
    except InputError as e:
        problems.extend(e.problems)
    if problems:
        raise InputError(problems)
    assert options.oidc_client_id  # checked above; narrows the type
    client_secret = (
        _read_client_secret(options.oidc_client_secret_file)
        if options.oidc_client_secret_file
        else None
    )
    secret_path = (
        options.session_secret_file
        or (options.data_dir or default_data_dir()) / sessions.SECRET_FILE
    )
    secret = sessions.read_secret(secret_path, create=options.session_secret_file is None)
    return Security(
        oidc=OidcSettings(
            issuer=options.oidc_issuer,
            client_id=options.oidc_client_id,
            client_secret=client_secret,
            ca_file=options.oidc_ca_file,
            group_roles=roles,
            public_url=options.public_url,
        ),
        session=sessions.SessionSettings(
            secret=secret, secure=sessions.cookie_secure(options.host, options.public_url)
        ),
    )
