"""A real OpenLDAP server for tests: Debian's ``slapd``, on loopback, in a temporary folder.

:func:`start_slapd` builds a server of its own from nothing: a cn=config made with
``slapadd -n0`` (the mdb backend and the core, cosine, inetorgperson and nis schemas
from /etc/ldap/schema), a small directory loaded with ``slapadd -n1`` (people, groups
and a read-only service account), and a CA and a server certificate made with the
``cryptography`` library. It listens on two free loopback ports: ldap:// (StartTLS
offered) and ldaps://. Nothing of the machine's own LDAP setup is read or touched.

The service account may read the whole tree, but a search without paging stops at
:data:`HARD_SIZE_LIMIT` entries, as Active Directory's MaxPageSize does: only a client
that pages (as Keycloak does) sees every one of the :data:`PEOPLE` users.

CI installs ``slapd`` and ``ldap-utils`` (.ci/run); where they are missing the tests that
need the server fail, saying what to install.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.certificates import certificate_authority, leaf, write_certificate, write_key
from tests.servers import free_port, listening, stop_process, wait_until_ready

SUFFIX = "dc=example,dc=com"
PEOPLE_DN = f"ou=people,{SUFFIX}"
GROUPS_DN = f"ou=groups,{SUFFIX}"
BIND_DN = f"cn=keycloak,ou=services,{SUFFIX}"
BIND_PASSWORD = "bind-secret"  # a throwaway password of a throwaway server
PEOPLE = 25
"""How many users the test directory holds."""
HARD_SIZE_LIMIT = 10
"""The most entries a search without paging returns to the service account."""
GROUPS = {
    "platform-admins": ["user00", "user01"],
    "developers": [f"user{n:02d}" for n in range(2, 12)],
    "viewers": [f"user{n:02d}" for n in range(12, PEOPLE)],
}
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
TOOLS = ("slapd", "slapadd")


class SlapdMissingError(RuntimeError):
    """slapd or its schemas are not installed."""


@dataclass(frozen=True)
class Slapd:
    """A running test server: where it listens and the files a client needs."""

    ldap_port: int
    ldaps_port: int
    ca_file: Path
    other_ca_file: Path
    process: subprocess.Popen[bytes]
    folder: Path

    @property
    def ldap_url(self) -> str:
        """ldap:// on loopback (StartTLS offered)."""
        return f"ldap://127.0.0.1:{self.ldap_port}"

    @property
    def ldaps_url(self) -> str:
        """ldaps:// on loopback; the certificate names 127.0.0.1 only."""
        return f"ldaps://127.0.0.1:{self.ldaps_port}"

    def stop(self) -> None:
        """Stop the server and wait for it."""
        stop_process(self.process)


def missing_tools() -> list[str]:
    """What this machine lacks to run the test server (empty when it has everything)."""
    missing = [tool for tool in TOOLS if _tool(tool) is None]
    missing += [
        str(SCHEMA_DIR / f"{name}.ldif")
        for name in SCHEMAS
        if not (SCHEMA_DIR / f"{name}.ldif").is_file()
    ]
    if not any(MODULE_DIR.glob("back_mdb*")):
        missing.append(str(MODULE_DIR / "back_mdb.so"))
    return missing


def _tool(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def start_slapd(folder: Path) -> Slapd:
    """Build and start a test server in ``folder``; the caller stops it.

    Raises:
        SlapdMissingError: slapd, slapadd, the schemas or the mdb module are missing.
        RuntimeError: the server did not come up (its log is in the message).
    """
    missing = missing_tools()
    if missing:
        raise SlapdMissingError(
            "the OpenLDAP test server needs Debian's slapd and ldap-utils "
            f"(apt-get install slapd ldap-utils); missing: {', '.join(missing)}"
        )
    config, data = folder / "slapd.d", folder / "data"
    config.mkdir()
    data.mkdir()
    ca_file, cert_file, key_file, other_ca = _certificates(folder)
    (folder / "config.ldif").write_text(
        _config_ldif(folder, data, ca_file, cert_file, key_file), encoding="utf-8"
    )
    (folder / "directory.ldif").write_text(_directory_ldif(), encoding="utf-8")
    slapadd = _tool("slapadd")
    assert slapadd is not None
    _run([slapadd, "-n0", "-F", str(config), "-l", str(folder / "config.ldif")])
    _run([slapadd, "-n1", "-F", str(config), "-l", str(folder / "directory.ldif")])
    ldap_port, ldaps_port = free_port(), free_port()
    slapd = _tool("slapd")
    assert slapd is not None
    with (folder / "slapd.log").open("wb") as log:  # the server keeps its own descriptor
        process = subprocess.Popen(
            [
                slapd,
                "-d",
                "stats",  # stay in the foreground, log connections to the log file
                "-F",
                str(config),
                "-h",
                f"ldap://127.0.0.1:{ldap_port}/ ldaps://127.0.0.1:{ldaps_port}/",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Slapd(ldap_port, ldaps_port, ca_file, other_ca, process, folder)
    wait_until_ready(
        lambda: listening(ldap_port) and listening(ldaps_port),
        process,
        folder / "slapd.log",
        "slapd",
    )
    return server


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def _config_ldif(folder: Path, data: Path, ca: Path, cert: Path, key: Path) -> str:
    schemas = "\n".join(f"include: file://{SCHEMA_DIR}/{name}.ldif" for name in SCHEMAS)
    return f"""\
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {folder}/slapd.pid
olcTLSCACertificateFile: {ca}
olcTLSCertificateFile: {cert}
olcTLSCertificateKeyFile: {key}

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: {MODULE_DIR}
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{schemas}

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {SUFFIX}
olcDbDirectory: {data}
olcDbMaxSize: 16777216
olcRootDN: cn=admin,{SUFFIX}
olcAccess: {{0}}to attrs=userPassword by anonymous auth by * none
olcAccess: {{1}}to * by dn.exact="{BIND_DN}" read by * none
olcLimits: {{0}}dn.exact="{BIND_DN}" size.soft={HARD_SIZE_LIMIT} size.hard={HARD_SIZE_LIMIT} \
size.pr=unlimited size.prtotal=unlimited
"""


def _directory_ldif() -> str:
    entries = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example",
        f"dn: {PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people",
        f"dn: {GROUPS_DN}\nobjectClass: organizationalUnit\nou: groups",
        f"dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services",
        f"dn: {BIND_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: keycloak\nuserPassword: {BIND_PASSWORD}",
    ]
    for n in range(PEOPLE):
        entries.append(
            f"dn: uid=user{n:02d},{PEOPLE_DN}\nobjectClass: inetOrgPerson\n"
            f"uid: user{n:02d}\ncn: User {n:02d}\nsn: {n:02d}\n"
            f"mail: user{n:02d}@example.com"
        )
    for name, members in GROUPS.items():
        lines = [f"dn: cn={name},{GROUPS_DN}", "objectClass: groupOfNames", f"cn: {name}"]
        lines += [f"member: uid={uid},{PEOPLE_DN}" for uid in members]
        entries.append("\n".join(lines))
    return "\n\n".join(entries) + "\n"


def _certificates(folder: Path) -> tuple[Path, Path, Path, Path]:
    """A CA, a server certificate it signs for 127.0.0.1, and an unrelated second CA."""
    ca_key, ca = certificate_authority("Stackyard test CA")
    _, other = certificate_authority("Some other CA")
    key, cert = leaf("127.0.0.1", ca_key, ca)
    return (
        write_certificate(folder / "ca.pem", ca),
        write_certificate(folder / "server.pem", cert),
        write_key(folder / "server.key", key),
        write_certificate(folder / "other.pem", other),
    )
