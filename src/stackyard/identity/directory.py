"""Bind to a company directory and run the searches Keycloak's LDAP federation would.

Keycloak's LDAP user storage provider binds as the service account (``bindDN``), then
finds users with one search and groups with another (the group mapper), each a base DN,
a filter and a subtree scope, paged with the Simple Paged Results control (RFC 2696) so
that a directory's size limit (Active Directory's MaxPageSize) does not cut the result.
:func:`check_directory` runs those same searches with ldap3 and reports:

- whether the bind worked, and if not why: the server down or not answering within the
  timeout, a TLS failure (a certificate no trusted CA signed, or one that does not name
  the host), invalid credentials;
- the users: how many, a sample of user names, and entries lacking the user name or
  UUID attribute Keycloak keys them by;
- the groups: how many, a sample of names, and one group's members resolved to users;
- a base DN that does not exist (``noSuchObject``), a filter that does not parse, a
  filter that matches nothing, and searches the account may not run.

Every problem is a :class:`Finding` located at the spec field to change. Nothing is
written to the directory: the connection is opened read-only.

ldap3 warns about Python APIs it still uses (``ssl.match_hostname``, old pyasn1 names)
and leaves a socket for the garbage collector when a TLS handshake fails; those warnings
are the library's, not the user's, and are silenced around its calls.
"""

from __future__ import annotations

import contextlib
import ssl
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from stackyard.findings import Finding, Severity
from stackyard.spec.identity import Directory, filled
from stackyard.yamlio import LocatedDocument, field_path


@contextlib.contextmanager
def _library_warnings_silenced() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", ResourceWarning)
        yield


with _library_warnings_silenced():
    from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
    from ldap3.core.exceptions import (
        LDAPException,
        LDAPInvalidFilterError,
        LDAPSocketOpenError,
        LDAPSocketReceiveError,
        LDAPStartTLSError,
    )

PAGE_SIZE = 500
"""Entries per page of a paged search (under Active Directory's default MaxPageSize 1000)."""
SAMPLE_SIZE = 5
"""How many user names, group names and resolved members a report shows."""
TIMEOUT_SECONDS = 5
"""How long to wait for the connection and for each answer."""

_NO_SUCH_OBJECT = 32
_INVALID_CREDENTIALS = 49
_INSUFFICIENT_ACCESS = 50
_SIZE_LIMIT_EXCEEDED = 4
_PAGED_RESULTS = "1.2.840.113556.1.4.319"


@dataclass(frozen=True)
class SearchResult:
    """One search as Keycloak runs it, and what it found."""

    base: str
    filter: str
    count: int
    sample: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "baseDN": self.base,
            "filter": self.filter,
            "count": self.count,
            "sample": list(self.sample),
        }


@dataclass(frozen=True)
class GroupMembers:
    """One group's members, resolved to users as Keycloak's group mapper would."""

    group: str
    dn: str
    listed: int
    resolved: tuple[str, ...]
    unresolved: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "group": self.group,
            "dn": self.dn,
            "listed": self.listed,
            "resolved": list(self.resolved),
            "unresolved": list(self.unresolved),
        }


@dataclass(frozen=True)
class DirectoryReport:
    """What checking one directory found."""

    name: str
    type: str
    url: str
    bind_dn: str
    bound: bool
    encrypted: bool
    users: SearchResult | None
    groups: SearchResult | None
    members: GroupMembers | None
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> list[Finding]:
        """Findings of error severity."""
        return [f for f in self.findings if f.severity == "error"]

    @property
    def failed(self) -> bool:
        """Whether Keycloak could not federate this directory as declared."""
        return bool(self.errors)

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "name": self.name,
            "type": self.type,
            "url": self.url,
            "bindDN": self.bind_dn,
            "bound": self.bound,
            "encrypted": self.encrypted,
            "users": None if self.users is None else self.users.as_dict(),
            "groups": None if self.groups is None else self.groups.as_dict(),
            "members": None if self.members is None else self.members.as_dict(),
            "findings": [f.as_dict() for f in self.findings],
            "ok": not self.failed,
        }


class _Reporter:
    """Collects findings located at fields of one directory of the spec."""

    def __init__(self, document: LocatedDocument, index: int, directory: Directory) -> None:
        self.document = document
        self.at: tuple[str | int, ...] = ("identity", "directories", index)
        self.directory = directory
        self.findings: list[Finding] = []

    def add(
        self,
        fields: tuple[str, ...],
        check: str,
        message: str,
        hint: str = "",
        severity: Severity = "error",
    ) -> None:
        path: tuple[str | int, ...] = (*self.at, *fields)
        self.findings.append(
            Finding(
                self.document.locate(path),
                check,
                f"directory {self.directory.name!r}: {message}",
                severity,
                field_path(path),
                hint,
            )
        )


def check_directory(
    directory: Directory,
    password: str,
    *,
    document: LocatedDocument,
    index: int,
    ca_data: str | None = None,
    timeout: int = TIMEOUT_SECONDS,
    page_size: int = PAGE_SIZE,
    sample_size: int = SAMPLE_SIZE,
) -> DirectoryReport:
    """Bind to ``directory`` and run Keycloak's user and group searches.

    Args:
        directory: the directory as the spec declares it.
        password: the bind password (the spec holds only the Secret's name).
        document: the spec's document, to locate findings at the directory's fields.
        index: the directory's position in ``identity.directories``.
        ca_data: the PEM text of the CA file ``tls.caFile`` names; None: the system's CAs.
        timeout: seconds to wait for the connection and for each answer.
        page_size: entries per page of the paged searches.
        sample_size: how many names each sample holds.
    """
    report = _Reporter(document, index, directory)
    if not directory.encrypted:
        report.add(
            ("url",),
            "directory-cleartext",
            "the bind password and every user's attributes cross the network unencrypted",
            "use ldaps:// or tls: {startTLS: true}",
            "warning",
        )
    users = groups = None
    members = None
    bound = False
    with _library_warnings_silenced():
        connection = _connect(directory, password, ca_data, timeout, report)
        if connection is not None:
            try:
                bound = True
                users = _search_users(connection, directory, page_size, sample_size, report)
                if directory.groups is not None:
                    groups, sample_group = _search_groups(
                        connection, directory, page_size, sample_size, report
                    )
                    if sample_group is not None and users is not None and users.count:
                        members = _resolve_members(
                            connection, directory, sample_group, sample_size, report
                        )
            except (LDAPSocketReceiveError, LDAPSocketOpenError) as error:
                report.add(
                    ("url",),
                    "directory-unreachable",
                    f"the server stopped answering during the searches ({_reason(error)})",
                    f"check that {directory.host}:{directory.port} is up and not overloaded",
                )
            except LDAPException as error:
                report.add(
                    ("url",),
                    "directory-search",
                    f"the searches failed ({type(error).__name__}: {_reason(error)})",
                )
            finally:
                _close(connection)
    return DirectoryReport(
        name=directory.name,
        type=directory.type,
        url=directory.url,
        bind_dn=directory.bindDN,
        bound=bound,
        encrypted=directory.encrypted,
        users=users,
        groups=groups,
        members=members,
        findings=tuple(report.findings),
    )


def _connect(
    directory: Directory,
    password: str,
    ca_data: str | None,
    timeout: int,
    report: _Reporter,
) -> Any:
    """A bound, read-only connection, or None after reporting why there is none."""
    tls = None
    if directory.encrypted:
        tls = Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_data=ca_data,
        )
    server = Server(
        directory.host,
        port=directory.port,
        use_ssl=directory.secure_transport,
        tls=tls,
        connect_timeout=timeout,
        get_info=NONE,
    )
    connection = Connection(
        server,
        user=directory.bindDN,
        password=password,
        read_only=True,
        raise_exceptions=False,
        receive_timeout=timeout,
        check_names=False,
    )
    where = f"{directory.host}:{directory.port}"
    try:
        connection.open()
        if directory.tls.startTLS and not connection.start_tls():
            report.add(
                ("tls", "startTLS"),
                "directory-tls",
                f"the server refused StartTLS ({_diagnostic(connection.result)})",
                "enable TLS on the server, or use its ldaps:// port",
            )
            _close(connection)
            return None
        if not connection.bind():
            _bind_failed(directory, connection.result, report)
            _close(connection)
            return None
    except (LDAPSocketOpenError, LDAPStartTLSError, LDAPSocketReceiveError) as error:
        _close(connection)
        _open_failed(directory, error, where, ca_data is not None, report, timeout)
        return None
    except LDAPException as error:
        _close(connection)
        report.add(("url",), "directory-unreachable", f"{where}: {_reason(error)}")
        return None
    return connection


def _close(connection: Any) -> None:
    """Unbind and close, whatever state a failure left the connection in."""
    with contextlib.suppress(LDAPException):
        connection.unbind()
    socket = getattr(connection, "socket", None)
    if socket is not None:
        socket.close()  # ldap3 leaves the socket of a failed connect or handshake open


def _open_failed(
    directory: Directory,
    error: LDAPException,
    where: str,
    own_ca: bool,
    report: _Reporter,
    timeout: int,
) -> None:
    text = str(error)
    lower = text.lower()
    trusted = "the CA in tls.caFile" if own_ca else "the system's trusted CAs"
    tls_field = ("tls", "caFile") if own_ca else ("url",)
    if "certificate verify failed" in lower:
        detail = text.split("certificate verify failed:", 1)[-1].split("(_ssl", 1)[0].strip()
        report.add(
            tls_field,
            "directory-tls",
            f"{where}: the server's certificate is not signed by {trusted} ({detail})",
            "set tls.caFile to the PEM file of the CA that signed the directory's certificate",
        )
    elif "doesn't match any name" in lower or "hostname" in lower:
        report.add(
            ("url",),
            "directory-tls",
            f"{where}: the server's certificate does not name {directory.host!r}",
            "use the host name the certificate was issued for in url",
        )
    elif "timed out" in lower or "timeout" in lower:
        report.add(
            ("url",),
            "directory-unreachable",
            f"{where} did not answer within {timeout} seconds",
            "check the host, the port and that a firewall lets the cluster reach it",
        )
    elif "ssl" in lower or "tls" in lower or "handshake" in lower:
        report.add(tls_field, "directory-tls", f"{where}: TLS failed ({_reason(error)})")
    else:
        report.add(
            ("url",),
            "directory-unreachable",
            f"cannot connect to {where} ({_reason(error)})",
            "check the host and the port, and that the server is running",
        )


def _bind_failed(directory: Directory, result: dict[str, Any], report: _Reporter) -> None:
    if result.get("result") == _INVALID_CREDENTIALS:
        report.add(
            ("bindDN",),
            "directory-bind",
            f"invalid credentials for {directory.bindDN!r}"
            + (f" ({result['message']})" if result.get("message") else ""),
            f"check the bind DN and the password in Secret {directory.bindPassword.secret!r} "
            f"(key {directory.bindPassword.key!r})",
        )
    else:
        report.add(
            ("bindDN",),
            "directory-bind",
            f"the bind as {directory.bindDN!r} failed ({_diagnostic(result)})",
        )


def _paged_search(
    connection: Any,
    base: str,
    search_filter: str,
    attributes: list[str],
    page_size: int,
) -> Iterator[dict[str, Any]]:
    """Every entry a paged subtree search finds; raises ``_SearchFailedError`` on a result."""
    cookie: bytes | None = None
    while True:
        connection.search(
            base,
            search_filter,
            SUBTREE,
            attributes=attributes,
            paged_size=page_size,
            paged_cookie=cookie,
        )
        result = connection.result
        if result.get("result") not in (0, None):
            raise _SearchFailedError(result)
        for entry in connection.response or []:
            if entry.get("type") == "searchResEntry":
                yield entry
        control = (result.get("controls") or {}).get(_PAGED_RESULTS) or {}
        cookie = control.get("value", {}).get("cookie")
        if not cookie:
            return


class _SearchFailedError(Exception):
    """A search ended with an LDAP result other than success."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(_diagnostic(result))
        self.code = result.get("result")


def _search(
    connection: Any,
    section: str,
    base: str,
    search_filter: str,
    attributes: list[str],
    page_size: int,
    report: _Reporter,
) -> list[dict[str, Any]] | None:
    """The entries found, or None after reporting why the search failed."""
    try:
        return list(_paged_search(connection, base, search_filter, attributes, page_size))
    except LDAPInvalidFilterError as error:
        report.add(
            (section, "filter"),
            "directory-filter",
            f"the {section} filter {search_filter!r} is not an LDAP filter ({_reason(error)})",
            "write it as RFC 4515 says, e.g. (&(objectClass=person)(uid=*))",
        )
    except _SearchFailedError as failed:
        if failed.code == _NO_SUCH_OBJECT:
            report.add(
                (section, "baseDN"),
                "directory-base-dn",
                f"the {section} base DN {base!r} does not exist (noSuchObject)",
                "name an entry that exists, e.g. the OU that holds them",
            )
        elif failed.code == _INSUFFICIENT_ACCESS:
            report.add(
                (section, "baseDN"),
                "directory-access",
                f"the bind account may not search {base!r} ({failed})",
                "grant the service account read access to this subtree",
            )
        elif failed.code == _SIZE_LIMIT_EXCEEDED:
            report.add(
                (section, "baseDN"),
                "directory-paging",
                f"the {section} search hit the server's size limit although it pages",
                "enable the Simple Paged Results control on the server",
            )
        else:
            report.add(
                (section, "baseDN"),
                "directory-search",
                f"the {section} search under {base!r} failed ({failed})",
            )
    return None


def _first(entry: dict[str, Any], attribute: str) -> str | None:
    values = (entry.get("attributes") or {}).get(attribute)
    if values is None or values == []:
        return None
    value = values[0] if isinstance(values, list) else values
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _search_users(
    connection: Any,
    directory: Directory,
    page_size: int,
    sample_size: int,
    report: _Reporter,
) -> SearchResult | None:
    users = directory.users
    username, uuid = filled(users.usernameAttribute), filled(users.uuidAttribute)
    search_filter = filled(users.filter)
    entries = _search(
        connection, "users", users.baseDN, search_filter, [username, uuid], page_size, report
    )
    if entries is None:
        return None
    names = [name for entry in entries if (name := _first(entry, username)) is not None]
    result = SearchResult(users.baseDN, search_filter, len(entries), tuple(names[:sample_size]))
    if not entries:
        report.add(
            ("users", "filter"),
            "directory-empty",
            f"no user under {users.baseDN!r} matches {search_filter!r}",
            "check the filter's object classes and the base DN; Keycloak would import no one",
        )
        return result
    for attribute, field in ((username, "usernameAttribute"), (uuid, "uuidAttribute")):
        lacking = [e["dn"] for e in entries if _first(e, attribute) is None]
        _missing_attribute(report, "users", field, attribute, lacking, len(entries), "user")
    return result


def _missing_attribute(
    report: _Reporter,
    section: str,
    field: str,
    attribute: str,
    lacking: list[str],
    total: int,
    what: str,
) -> None:
    if not lacking:
        return
    every = len(lacking) == total
    report.add(
        (section, field),
        "directory-attribute",
        (f"no {what}" if every else f"{len(lacking)} of {total} {what}s")
        + f" found has the attribute {attribute!r} (e.g. {lacking[0]!r})",
        "name an attribute every entry has" if every else "fill it in on those entries",
        "error" if every else "warning",
    )


def _search_groups(
    connection: Any,
    directory: Directory,
    page_size: int,
    sample_size: int,
    report: _Reporter,
) -> tuple[SearchResult | None, dict[str, Any] | None]:
    groups = directory.groups
    assert groups is not None
    search_filter = filled(groups.filter)
    attributes = [groups.nameAttribute, groups.memberAttribute]
    entries = _search(
        connection, "groups", groups.baseDN, search_filter, attributes, page_size, report
    )
    if entries is None:
        return None, None
    names = [name for entry in entries if (name := _first(entry, groups.nameAttribute))]
    result = SearchResult(groups.baseDN, search_filter, len(entries), tuple(names[:sample_size]))
    if not entries:
        report.add(
            ("groups", "filter"),
            "directory-empty",
            f"no group under {groups.baseDN!r} matches {search_filter!r}",
            "check the filter's object classes and the base DN; Keycloak would map no group",
        )
        return result, None
    lacking = [e["dn"] for e in entries if _first(e, groups.nameAttribute) is None]
    _missing_attribute(
        report, "groups", "nameAttribute", groups.nameAttribute, lacking, len(entries), "group"
    )
    with_members = [e for e in entries if _first(e, groups.memberAttribute) is not None]
    if not with_members:
        report.add(
            ("groups", "memberAttribute"),
            "directory-attribute",
            f"no group found lists members in {groups.memberAttribute!r}",
            "name the attribute that holds the members' DNs (member, uniqueMember)",
        )
        return result, None
    return result, with_members[0]


def _resolve_members(
    connection: Any,
    directory: Directory,
    group: dict[str, Any],
    sample_size: int,
    report: _Reporter,
) -> GroupMembers:
    """Read the first members of ``group`` as users, the way the group mapper links them."""
    groups = directory.groups
    assert groups is not None
    users = directory.users
    username = filled(users.usernameAttribute)
    listed = (group.get("attributes") or {}).get(groups.memberAttribute) or []
    listed = [str(dn) for dn in (listed if isinstance(listed, list) else [listed])]
    resolved: list[str] = []
    unresolved: list[str] = []
    under = "," + _normal_dn(users.baseDN)
    for dn in listed[:sample_size]:
        name = None
        if _normal_dn(dn).endswith(under):
            connection.search(dn, filled(users.filter), BASE, attributes=[username])
            entries = [e for e in connection.response or [] if e.get("type") == "searchResEntry"]
            name = _first(entries[0], username) if entries else None
        if name is None:
            unresolved.append(dn)
        else:
            resolved.append(name)
    name = _first(group, groups.nameAttribute) or str(group["dn"])
    if unresolved:
        report.add(
            ("groups", "memberAttribute"),
            "directory-members",
            f"{len(unresolved)} of the first {min(len(listed), sample_size)} members of group "
            f"{name!r} are not users the user search finds (e.g. {unresolved[0]!r})",
            "members outside the users' base DN or filter get no group membership in Keycloak",
            "warning",
        )
    return GroupMembers(name, str(group["dn"]), len(listed), tuple(resolved), tuple(unresolved))


def _normal_dn(dn: str) -> str:
    """A DN compared loosely: lower case, no spaces around the separators."""
    return ",".join(part.strip() for part in dn.lower().split(","))


def _diagnostic(result: dict[str, Any] | None) -> str:
    if not result:
        return "no answer"
    text = str(result.get("description") or f"result {result.get('result')}")
    return f"{text}: {result['message']}" if result.get("message") else text


def _reason(error: BaseException) -> str:
    """An exception's message, without the tuple wrapping ldap3 gives some."""
    text = str(error)
    while text.startswith(("(", "[")) and text.endswith((",)", ")", "]")):
        inner = text[1:-1].rstrip(",").strip()
        if inner == text:
            break
        text = inner.strip("'\"")
    return text
