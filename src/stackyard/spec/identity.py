"""Who may sign in and what they may do, as ``platform.yaml`` declares it.

The ``identity`` section holds everything about people and their access:

- ``directories``: the LDAP servers and Active Directory domains Keycloak federates, so
  people sign in with the account they already have. Each directory is read the way
  Keycloak's LDAP user federation reads it (a bind DN, a user search and a group search,
  each a base DN, a filter and the attributes that name an entry), and ``stackyard
  identity check`` runs those same searches against the real server;
- ``mfa``: the second factor (OTP and/or WebAuthn) and who must use it;
- ``groups``: groups, read from a declared directory or kept in Keycloak, each mapped
  to one platform role (of a tenant, where the role is a tenant's) on some clusters;
- ``samlProviders`` and ``oidcClients``: applications beyond the platform's own that
  sign in through the platform realm, over SAML 2.0 or OpenID Connect.

The platform only ever reads the company directory: ``editMode`` is ``READ_ONLY`` (or
``UNSYNCED``, where Keycloak keeps profile edits to itself), never ``WRITABLE``, so
nothing a user does in Keycloak can change an account, a password or a group that the
rest of the company relies on.

The bind password never appears in the spec: the spec is committed to Git.
``bindPassword`` names the Kubernetes Secret that holds it (delivered by Vault through
External Secrets), and the check reads the password from an environment variable or a
file given on the command line. Client secrets are not in the spec either: Keycloak
generates them, as for the platform's own clients.

What needs the whole spec (a group's tenant, directory and clusters must be declared;
client names unique across both client lists) is checked in :mod:`.coherence`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from stackyard.spec.base import DNS_LABEL, SpecModel, refuse_duplicates, refuse_outside_folder
from stackyard.spec.text import Text

DirectoryType = Literal["ldap", "active-directory"]
EditMode = Literal["READ_ONLY", "UNSYNCED"]

# ldap:// or ldaps://, a host name, an IPv4 address or a bracketed IPv6 address, an
# optional port, nothing after (Keycloak's connection URL of one server).
_LDAP_URL = re.compile(
    r"^(?P<scheme>ldaps?)://(?P<host>[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r"(:(?P<port>[0-9]{1,5}))?/?$"
)
# A distinguished name of RFC 4514 attribute=value pairs: loose on purpose (escapes,
# spaces and multi-valued RDNs are legal), but it must name at least one attribute.
_DN = r"^[A-Za-z][A-Za-z0-9-]*\s*=.+$"
# An LDAP attribute description (RFC 4512): a name or an OID.
_ATTRIBUTE = r"^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)+)$"
# A Kubernetes Secret name (DNS subdomain) and a key of its data.
_SECRET_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_SECRET_KEY = r"^[-._a-zA-Z0-9]+$"

USER_DEFAULTS: dict[str, dict[str, str]] = {
    "ldap": {
        "filter": "(objectClass=inetOrgPerson)",
        "usernameAttribute": "uid",
        "uuidAttribute": "entryUUID",
    },
    "active-directory": {
        "filter": "(&(objectClass=user)(objectCategory=person))",
        "usernameAttribute": "sAMAccountName",
        "uuidAttribute": "objectGUID",
    },
}
"""What Keycloak's LDAP provider presets for each vendor, filled in where a key is left out."""

GROUP_DEFAULTS: dict[str, dict[str, str]] = {
    "ldap": {"filter": "(objectClass=groupOfNames)"},
    "active-directory": {"filter": "(objectClass=group)"},
}


def filled(value: str | None) -> str:
    """A search setting the directory's type filled in (never None once validated)."""
    assert value is not None, "a directory fills in every search setting from its type"
    return value


class SecretKeyRef(SpecModel):
    """A key of a Kubernetes Secret in the identity namespace (Vault fills it)."""

    secret: Text = Field(pattern=_SECRET_NAME, max_length=253, description="The Secret's name.")
    key: Text = Field(pattern=_SECRET_KEY, max_length=253, description="The key in its data.")


class UserSearch(SpecModel):
    """Where the people are and what names them (Keycloak's user search settings)."""

    baseDN: Text = Field(pattern=_DN, description='Users DN, e.g. "ou=people,dc=example,dc=com".')
    filter: Text | None = Field(
        default=None,
        min_length=3,
        description="LDAP filter of user entries; default (objectClass=inetOrgPerson) for "
        "ldap, (&(objectClass=user)(objectCategory=person)) for active-directory.",
    )
    usernameAttribute: Text | None = Field(
        default=None,
        pattern=_ATTRIBUTE,
        description="Attribute that is the user name; default uid (ldap), sAMAccountName (AD).",
    )
    uuidAttribute: Text | None = Field(
        default=None,
        pattern=_ATTRIBUTE,
        description="Attribute unique and stable per entry; default entryUUID (ldap), "
        "objectGUID (AD).",
    )


class GroupSearch(SpecModel):
    """Where the groups are and how they list members (Keycloak's group mapper)."""

    baseDN: Text = Field(pattern=_DN, description='Groups DN, e.g. "ou=groups,dc=example,dc=com".')
    filter: Text | None = Field(
        default=None,
        min_length=3,
        description="LDAP filter of group entries; default (objectClass=groupOfNames) for "
        "ldap, (objectClass=group) for active-directory.",
    )
    nameAttribute: Text = Field(
        default="cn", pattern=_ATTRIBUTE, description="Attribute that is the group name."
    )
    memberAttribute: Text = Field(
        default="member",
        pattern=_ATTRIBUTE,
        description="Attribute of a group listing its members' DNs.",
    )


class DirectoryTls(SpecModel):
    """How the connection is encrypted, besides ldaps://."""

    startTLS: bool = Field(
        default=False, description="Upgrade an ldap:// connection with StartTLS."
    )
    caFile: Text | None = Field(
        default=None,
        max_length=1024,
        description="PEM file of the CA that signed the server's certificate, relative to the "
        "spec file's folder; render adds it to Keycloak's truststore. Default: the "
        "system's trusted CAs.",
    )

    @field_validator("caFile")
    @classmethod
    def _relative_file(cls, path: str | None) -> str | None:
        return None if path is None else refuse_outside_folder(path)


class Directory(SpecModel):
    """A company directory for Keycloak to federate: an LDAP server or Active Directory domain."""

    name: Text = Field(pattern=DNS_LABEL, max_length=63, description="Name (a DNS label), unique.")
    type: DirectoryType = Field(description="ldap (e.g. OpenLDAP) or active-directory.")
    url: Text = Field(
        max_length=1024, description="ldap://host[:port] or ldaps://host[:port] of one server."
    )
    bindDN: Text = Field(pattern=_DN, description="DN of the read-only service account.")
    bindPassword: SecretKeyRef = Field(
        description="The Secret holding the bind password: {secret: NAME, key: KEY}."
    )
    users: UserSearch = Field(description="The user search.")
    groups: GroupSearch | None = Field(
        default=None, description="The group search; without it no groups are read."
    )
    tls: DirectoryTls = Field(default_factory=DirectoryTls, description="TLS settings.")
    editMode: EditMode = Field(
        default="READ_ONLY",
        description="READ_ONLY, or UNSYNCED (profile edits stay in Keycloak); never WRITABLE: "
        "the platform does not write to the company directory.",
    )

    @model_validator(mode="before")
    @classmethod
    def _defaults_of_the_type(cls, data: Any) -> Any:
        """Fill each search's filter and attributes left out with the type's defaults."""
        if not isinstance(data, dict) or data.get("type") not in USER_DEFAULTS:
            return data
        kind = data["type"]
        filled = dict(data)
        for key, defaults in (("users", USER_DEFAULTS[kind]), ("groups", GROUP_DEFAULTS[kind])):
            search = filled.get(key)
            if isinstance(search, dict):
                given = {k: v for k, v in search.items() if v is not None}
                filled[key] = {**defaults, **given}
        return filled

    @field_validator("bindPassword", mode="before")
    @classmethod
    def _no_literal_password(cls, value: Any) -> Any:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            raise ValueError(
                "write no password in the spec (it is committed to Git): name the Secret "
                "that holds it, as bindPassword: {secret: NAME, key: KEY}"
            )
        return value

    @field_validator("editMode", mode="before")
    @classmethod
    def _never_writable(cls, value: Any) -> Any:
        if value == "WRITABLE":
            raise ValueError(
                "WRITABLE is refused: the platform must never write to the company "
                "directory (accounts, passwords and groups stay its owners'); use READ_ONLY, "
                "or UNSYNCED to keep profile edits in Keycloak"
            )
        return value

    @field_validator("url")
    @classmethod
    def _ldap_url(cls, url: str) -> str:
        match = _LDAP_URL.fullmatch(url)
        if match is None:
            raise ValueError(
                f"{url!r} is not an LDAP URL: write ldap://host[:port] or ldaps://host[:port]"
            )
        if match["port"] is not None and not 1 <= int(match["port"]) <= 65535:
            raise ValueError(f"port {match['port']} is not between 1 and 65535")
        return url

    @model_validator(mode="after")
    def _one_way_of_tls(self) -> Directory:
        if self.tls.startTLS and self.secure_transport:
            raise ValueError(
                "tls.startTLS upgrades an ldap:// connection; an ldaps:// URL is encrypted "
                "already: drop one of them"
            )
        return self

    @property
    def secure_transport(self) -> bool:
        """Whether the URL is ldaps:// (TLS from the first byte)."""
        return self.url.lower().startswith("ldaps://")

    @property
    def encrypted(self) -> bool:
        """Whether the bind password crosses the network encrypted (ldaps or StartTLS)."""
        return self.secure_transport or self.tls.startTLS

    @property
    def host(self) -> str:
        """The server's host name or address (an IPv6 address without brackets)."""
        match = _LDAP_URL.fullmatch(self.url)
        assert match is not None  # checked by the validator
        return match["host"].strip("[]")

    @property
    def port(self) -> int:
        """The server's port: the URL's, else 636 for ldaps and 389 for ldap."""
        match = _LDAP_URL.fullmatch(self.url)
        assert match is not None  # checked by the validator
        if match["port"] is not None:
            return int(match["port"])
        return 636 if self.secure_transport else 389


MfaMethod = Literal["otp", "webauthn"]
MfaRequired = Literal["admins", "everyone", "none"]
Role = Literal["platform-admin", "tenant-admin", "developer", "viewer", "auditor", "cluster-admin"]
NameIdFormat = Literal["email", "username", "persistent"]

ADMIN_ROLES: tuple[Role, ...] = ("platform-admin", "tenant-admin")
"""The roles whose groups ``mfa.required: admins`` asks for a second factor."""
TENANT_ROLES: tuple[Role, ...] = ("tenant-admin", "developer")
"""The roles that are always a tenant's: ``tenant`` is required."""
TENANT_OPTIONAL_ROLES: tuple[Role, ...] = ("viewer",)
"""The roles that may be a tenant's (``tenant`` given) or the whole platform's."""

# A group name as Keycloak keeps it and the token's groups claim carries it: no "/"
# (Keycloak's group path separator), no "," (a separator in Argo CD's policy lines), no
# control characters, no space at either end.
_GROUP_NAME = r"^[^/,\s\x00-\x1f]([^/,\x00-\x1f]*[^/,\s\x00-\x1f])?$"
_LOCALHOSTS = ("localhost", "127.0.0.1", "[::1]")
_URL = re.compile(
    r"^(?P<scheme>https?)://(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s/:?#@]+)(:[0-9]{1,5})?(/\S*)?$"
)


def https_url(url: str, what: str = "URL") -> str:
    """``url`` when it is https (or http to this machine), else ``ValueError``."""
    match = _URL.fullmatch(url)
    if match is None:
        raise ValueError(f"{url!r} is not a {what}: write https://host[:port]/path")
    if match["scheme"] == "http" and match["host"].lower() not in _LOCALHOSTS:
        raise ValueError(
            f"{url!r} is plain http: tokens and assertions would cross the network "
            "unencrypted; use https (http is accepted for localhost only)"
        )
    return url


class Mfa(SpecModel):
    """The second factor: which methods, and who must use one."""

    methods: list[MfaMethod] = Field(
        min_length=1,
        description="otp (an authenticator app, RFC 6238) and/or webauthn (a security key "
        "or passkey); the first is the one asked for when both are set up.",
    )
    required: MfaRequired = Field(
        default="admins",
        description="admins (members of groups whose role is platform-admin or "
        "tenant-admin), everyone, or none (each user may still set one up).",
    )

    @field_validator("methods")
    @classmethod
    def _each_once(cls, methods: list[MfaMethod]) -> list[MfaMethod]:
        refuse_duplicates(list(methods), "method")
        return methods


class Group(SpecModel):
    """A group of people and the one platform role its members get."""

    name: Text = Field(
        pattern=_GROUP_NAME,
        max_length=255,
        description="The group's name as the token's groups claim carries it (no / or ,); unique.",
    )
    directory: Text | None = Field(
        default=None,
        pattern=DNS_LABEL,
        description="A declared directory whose group search reads it; without it the "
        "group is kept in Keycloak.",
    )
    role: Role = Field(
        description="platform-admin, tenant-admin, developer, viewer, auditor (or "
        "cluster-admin, which plan refuses for a group of people)."
    )
    tenant: Text | None = Field(
        default=None,
        pattern=DNS_LABEL,
        description="The tenant whose namespaces the role covers: required for "
        "tenant-admin and developer, optional for viewer, refused for the others.",
    )
    clusters: list[Text] | None = Field(
        default=None,
        min_length=1,
        description="The clusters where the role holds; default every cluster (the tenant's, "
        "for a tenant role).",
    )

    @field_validator("clusters")
    @classmethod
    def _each_cluster_once(cls, clusters: list[str] | None) -> list[str] | None:
        if clusters is not None:
            refuse_duplicates(clusters, "cluster")
        return clusters

    @model_validator(mode="after")
    def _tenant_fits_the_role(self) -> Group:
        if self.role in TENANT_ROLES and self.tenant is None:
            raise ValueError(f"role {self.role} is a tenant's: name the tenant, as tenant: NAME")
        if self.tenant is not None and self.role not in (*TENANT_ROLES, *TENANT_OPTIONAL_ROLES):
            raise ValueError(
                f"role {self.role} is the whole platform's, not a tenant's: drop tenant "
                f"{self.tenant!r} (tenant-admin, developer and viewer take one)"
            )
        return self


class SamlProvider(SpecModel):
    """A SAML 2.0 service provider that signs people in through the platform realm."""

    name: Text = Field(
        pattern=DNS_LABEL,
        max_length=63,
        description="Name (a DNS label), unique across samlProviders and oidcClients.",
    )
    entityId: Text = Field(
        min_length=1,
        max_length=1024,
        description="The provider's SAML entity ID (its metadata URL or a URN); Keycloak's "
        "client id.",
    )
    acsUrl: Text = Field(
        max_length=1024,
        description="Assertion Consumer Service URL (HTTP-POST binding) the assertions go to.",
    )
    nameIdFormat: NameIdFormat = Field(
        default="email", description="The subject's NameID: email, username or persistent."
    )
    signAssertions: bool = Field(
        default=True, description="Sign each assertion (besides the response document)."
    )

    @field_validator("entityId")
    @classmethod
    def _uri(cls, value: str) -> str:
        if value.lower().startswith(("http://", "https://")):
            return https_url(value, "entity ID URL")
        if not re.fullmatch(r"urn:[A-Za-z0-9][-A-Za-z0-9]{0,31}:\S+", value):
            raise ValueError(
                f"{value!r} is not an entity ID: write the provider's https URL or a URN "
                "(urn:NID:...)"
            )
        return value

    @field_validator("acsUrl")
    @classmethod
    def _acs(cls, value: str) -> str:
        return https_url(value, "URL")


class OidcClient(SpecModel):
    """An OpenID Connect application beyond the platform's own."""

    name: Text = Field(
        pattern=DNS_LABEL,
        max_length=63,
        description="Name (a DNS label) and client id, unique across samlProviders and "
        "oidcClients.",
    )
    redirectUris: list[Text] = Field(
        min_length=1,
        description="Where Keycloak may send people back (https; a trailing * matches any "
        "path below).",
    )
    public: bool = Field(
        default=False,
        description="A public client (a browser or mobile app, with PKCE) instead of a "
        "confidential one; a confidential client's secret is generated by Keycloak.",
    )

    @field_validator("redirectUris")
    @classmethod
    def _https(cls, uris: list[str]) -> list[str]:
        refuse_duplicates(uris, "redirect URI")
        for uri in uris:
            https_url(uri.removesuffix("*"), "redirect URI")
        return uris


class Identity(SpecModel):
    """People and their access: directories, MFA, groups and roles, extra applications."""

    directories: list[Directory] = Field(
        default_factory=list,
        description="LDAP servers and Active Directory domains people sign in with.",
    )
    mfa: Mfa | None = Field(
        default=None,
        description="The second-factor policy; without it no second factor is offered.",
    )
    groups: list[Group] = Field(
        default_factory=list,
        description="Groups (from a directory or kept in Keycloak) and the role each grants.",
    )
    samlProviders: list[SamlProvider] = Field(
        default_factory=list,
        description="SAML 2.0 applications that sign in through the platform realm.",
    )
    oidcClients: list[OidcClient] = Field(
        default_factory=list,
        description="OpenID Connect applications beyond the platform's own.",
    )

    def group(self, name: str) -> Group | None:
        """The group called ``name``, if declared."""
        return next((g for g in self.groups if g.name == name), None)

    def admin_groups(self) -> list[Group]:
        """The groups whose role is platform-admin or tenant-admin."""
        return [g for g in self.groups if g.role in ADMIN_ROLES]

    def directory(self, name: str) -> Directory | None:
        """The directory called ``name``, if declared."""
        return next((d for d in self.directories if d.name == name), None)
