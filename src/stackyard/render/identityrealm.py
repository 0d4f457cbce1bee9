"""What the spec's ``identity`` section adds to the platform realm's import file.

Everything here is Keycloak 26's own realm representation (``RealmRepresentation``, the
schema of the Keycloak operator's ``KeycloakRealmImport`` ``spec.realm``, which
``stackyard validate`` checks the file against); a spec without the section renders the
realm exactly as before.

**Directories → LDAP user federation.** Each directory is a component of provider type
``org.keycloak.storage.UserStorageProvider`` with provider id ``ldap``. Its configuration
keys are Keycloak's (``server-spi/.../models/LDAPConstants.java``: ``vendor``,
``connectionUrl``, ``bindDn``, ``bindCredential``, ``authType``, ``usersDn``,
``userObjectClasses``, ``customUserSearchFilter``, ``usernameLDAPAttribute``,
``rdnLDAPAttribute``, ``uuidLDAPAttribute``, ``editMode``, ``searchScope``,
``pagination``, ``startTls``, ``useTruststoreSpi``, ``connectionPooling``), every value a
list of strings as the representation holds them:

- the search is the one ``stackyard identity check`` runs: ``usersDn`` with the spec's
  filter as ``customUserSearchFilter``, subtree (``searchScope`` 2), paged. Keycloak ANDs
  ``(objectClass=X)`` for each of ``userObjectClasses`` to that filter; the object class
  given is ``top``, which every entry has, so the filter alone selects the users, as it
  does in the check;
- the bind password is a vault reference, ``${vault.ldap-<directory>-bind}``: Keycloak's
  file vault (``KC_VAULT=file``, ``KC_VAULT_DIR``, set by the ``keycloak`` value builder)
  reads it from the file ``platform_ldap-<directory>-bind`` (realm, underscore, key: the
  default ``REALM_UNDERSCORE_KEY`` resolver) that the bind password Secret is projected
  to, so the password is never in the realm file nor in Keycloak's database
  (https://www.keycloak.org/server/vault);
- ``useTruststoreSpi`` ``always``: the server certificate is checked against Keycloak's
  truststore; StartTLS connections are not pooled (Keycloak refuses pooling with StartTLS);
- sub-components of type ``org.keycloak.storage.ldap.mappers.LDAPStorageMapper``: user
  attribute mappers (``user-attribute-ldap-mapper``: ``ldap.attribute``,
  ``user.model.attribute``, ``read.only``, ``is.mandatory.in.ldap``) for the user name,
  e-mail, first and last name, Active Directory's account control mapper, and, when the
  directory has a group search, a ``group-ldap-mapper`` (``federation/ldap/.../membership/
  group/GroupMapperConfig.java`` and ``CommonLDAPGroupMapperConfig``: ``groups.dn``,
  ``group.name.ldap.attribute``, ``group.object.classes``, ``groups.ldap.filter``,
  ``membership.ldap.attribute``, ``membership.attribute.type`` ``DN``, ``mode``
  ``READ_ONLY``, ``user.roles.retrieve.strategy``, ``preserve.group.inheritance`` off so
  the groups stay flat names, as the token's groups claim carries them).

**Groups.** ``identity.groups`` without a directory are realm groups. Groups read from a
directory come from its group mapper, which reuses a realm group of the same name under
``/`` when it exists: an admin group is declared in the realm too when the MFA policy
needs it to carry the ``mfa-required`` role (below).

**MFA.** Keycloak asks for a second factor in the browser flow. The realm gets its own
``browser`` flow, a copy of Keycloak's (cookie, Kerberos off, identity provider
redirector, then the forms) whose forms ask, after the password, for the second factor:

- ``required: everyone``: a REQUIRED sub-flow; ``required: admins``: a CONDITIONAL
  sub-flow whose condition is ``conditional-user-role`` (*Condition - user role*, config
  ``condUserRole`` ``mfa-required``), a realm role that every admin group (role
  platform-admin or tenant-admin, and the built-in ``platform-admins``) carries, directly
  or through its members' group membership;
- in it, a sub-flow that accepts any method the user has set up (the methods ALTERNATIVE)
  and, after it, one that makes the first method REQUIRED: Keycloak skips an ALTERNATIVE
  method the user has not set up, but sets up a REQUIRED one (its required action,
  ``CONFIGURE_TOTP`` or ``webauthn-register``, enabled for the spec's methods), so nobody who
  must use a second factor signs in without one (``DefaultAuthenticationFlow.java``);
- everyone else who has set a method up is asked for it, as in Keycloak's own flow
  (``conditional-user-configured``; with ``admins``, also the negated role condition, so
  admins are not asked twice).

A realm file with ``authenticationFlows`` gets only the flows it lists plus the few
Keycloak adds when missing, so the file also carries Keycloak's ``direct grant`` and
``registration`` flows (``render/data/keycloak-flows.yaml``).

**Required actions.** A realm file that lists ``requiredActions`` gets only those, so
the file lists Keycloak 26's defaults (``render/data/keycloak-required-actions.yaml``)
with what the spec implies changed, and a spec without directories or MFA lists none:

- each MFA method's set-up action (``CONFIGURE_TOTP`` for otp, ``webauthn-register`` for
  webauthn) is enabled, the other one disabled, so people set up only what the flow asks
  for; with ``required: everyone`` the first method's is also a *default action*, asked
  of every new user at first sign-in. With ``required: admins`` no default action is
  set: the conditional flow already sets the method up for admins, and nobody else;
- each directory's federation trusts the e-mail it reads (``trustEmail``): the directory
  owns it, Keycloak does not ask its users to verify it. When every user comes from a
  directory (directories declared, no group of the spec kept in Keycloak),
  ``VERIFY_EMAIL`` is disabled, and when every directory is also ``READ_ONLY``,
  ``UPDATE_PASSWORD`` too: Keycloak cannot write a password back to a read-only
  directory, so asking for a new one could only fail (``UNSYNCED`` keeps passwords
  changed in Keycloak, so it keeps the action).

**Applications.** ``samlProviders`` become clients of protocol ``saml`` (client id the
entity ID, the ACS URL as redirect URI and HTTP-POST consumer URL, ``saml_name_id_format``
forced, documents and, when asked, assertions signed by the realm, client signatures not
required since the spec holds no provider certificate, a ``groups`` attribute);
``oidcClients`` become OpenID Connect clients (confidential without a secret, which
Keycloak generates as for the platform's own clients, or public with PKCE), with the
same ``groups`` claim as the platform's clients.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from stackyard.render.addresses import KEYCLOAK_REALM
from stackyard.render.tree import Manifest
from stackyard.spec.identity import ADMIN_ROLES, Directory, Identity, Mfa, OidcClient, SamlProvider

STORAGE_PROVIDER = "org.keycloak.storage.UserStorageProvider"
LDAP_MAPPER = "org.keycloak.storage.ldap.mappers.LDAPStorageMapper"
VAULT_DIR = "/opt/keycloak/vault"
MFA_ROLE = "mfa-required"
BROWSER_FLOW = "browser"
ADMIN_GROUP = "platform-admins"  # the built-in group Argo CD and Grafana make admins
_VENDORS = {"ldap": "other", "active-directory": "ad"}
_AUTHENTICATORS = {"otp": "auth-otp-form", "webauthn": "webauthn-authenticator"}
# The required action that sets each method up (Keycloak's provider ids).
_SETUP_ACTIONS = {"otp": "CONFIGURE_TOTP", "webauthn": "webauthn-register"}
_NAME_ID_FORMATS = {"email": "email", "username": "username", "persistent": "persistent"}


def vault_key(directory: Directory) -> str:
    """The vault key of the directory's bind password."""
    return f"ldap-{directory.name}-bind"


def vault_file(directory: Directory) -> str:
    """The file Keycloak's file vault reads the key from (``<realm>_<key>``)."""
    return f"{KEYCLOAK_REALM}_{vault_key(directory)}"


def _config(values: dict[str, str]) -> dict[str, list[str]]:
    return {key: [value] for key, value in values.items()}


def _attribute_mapper(name: str, ldap: str, model: str, *, mandatory: bool) -> Manifest:
    return {
        "name": name,
        "providerId": "user-attribute-ldap-mapper",
        "subComponents": {},
        "config": _config(
            {
                "ldap.attribute": ldap,
                "user.model.attribute": model,
                "read.only": "true",
                "always.read.value.from.ldap": "true",
                "is.mandatory.in.ldap": str(mandatory).lower(),
            }
        ),
    }


def ldap_component(directory: Directory) -> Manifest:
    """Keycloak's LDAP user storage provider for one directory, with its mappers."""
    users = directory.users
    username = users.usernameAttribute or ""
    mappers = [
        _attribute_mapper("username", username, "username", mandatory=True),
        _attribute_mapper("email", "mail", "email", mandatory=False),
        _attribute_mapper("first name", "givenName", "firstName", mandatory=False),
        _attribute_mapper("last name", "sn", "lastName", mandatory=False),
    ]
    if directory.type == "active-directory":
        mappers.append(
            {
                "name": "MSAD account controls",
                "providerId": "msad-user-account-control-mapper",
                "subComponents": {},
                "config": {},
            }
        )
    if directory.groups is not None:
        groups = directory.groups
        mappers.append(
            {
                "name": "groups",
                "providerId": "group-ldap-mapper",
                "subComponents": {},
                "config": _config(
                    {
                        "groups.dn": groups.baseDN,
                        "group.name.ldap.attribute": groups.nameAttribute,
                        "group.object.classes": "top",
                        "groups.ldap.filter": groups.filter or "",
                        "membership.ldap.attribute": groups.memberAttribute,
                        "membership.attribute.type": "DN",
                        "membership.user.ldap.attribute": username,
                        "mode": "READ_ONLY",
                        "user.roles.retrieve.strategy": "LOAD_GROUPS_BY_MEMBER_ATTRIBUTE",
                        "memberof.ldap.attribute": "memberOf",
                        "preserve.group.inheritance": "false",
                        "ignore.missing.groups": "false",
                        "drop.non.existing.groups.during.sync": "false",
                        "groups.path": "/",
                    }
                ),
            }
        )
    start_tls = directory.tls.startTLS
    config = {
        "enabled": "true",
        "priority": "0",
        "vendor": _VENDORS[directory.type],
        "connectionUrl": directory.url,
        "authType": "simple",
        "bindDn": directory.bindDN,
        "bindCredential": "${vault." + vault_key(directory) + "}",
        "usersDn": users.baseDN,
        "userObjectClasses": "top",
        "customUserSearchFilter": users.filter or "",
        "usernameLDAPAttribute": username,
        "rdnLDAPAttribute": username if directory.type == "ldap" else "cn",
        "uuidLDAPAttribute": users.uuidAttribute or "",
        "editMode": directory.editMode,
        "searchScope": "2",
        "pagination": "true",
        "startTls": str(start_tls).lower(),
        "useTruststoreSpi": "always",
        "connectionPooling": str(not start_tls).lower(),
        "importEnabled": "true",
        "syncRegistrations": "false",
        # The directory owns the e-mail address: its users are not asked to verify it.
        "trustEmail": "true",
        "cachePolicy": "DEFAULT",
    }
    return {
        "name": directory.name,
        "providerId": "ldap",
        "subComponents": {LDAP_MAPPER: mappers},
        "config": _config(config),
    }


def _mfa_groups(identity: Identity) -> set[str]:
    """The groups whose members must use a second factor (``required: admins``)."""
    if identity.mfa is None or identity.mfa.required != "admins":
        return set()
    return {ADMIN_GROUP, *(g.name for g in identity.groups if g.role in ADMIN_ROLES)}


def realm_groups(identity: Identity, builtin: tuple[str, ...]) -> list[Manifest]:
    """The realm's groups.

    The built-in ones, the spec's groups kept in Keycloak, and the directory admin groups
    that must carry the MFA role.
    """
    mfa = _mfa_groups(identity)
    names = [*builtin, *(g.name for g in identity.groups if g.directory is None)]
    names += sorted(mfa - set(names))
    groups: list[Manifest] = []
    for name in dict.fromkeys(names):
        group: Manifest = {"name": name}
        if name in mfa:
            group["realmRoles"] = [MFA_ROLE]
        groups.append(group)
    return groups


def _execution(
    requirement: str, priority: int, *, authenticator: str = "", flow: str = "", config: str = ""
) -> Manifest:
    execution: Manifest = {
        "requirement": requirement,
        "priority": priority,
        "authenticatorFlow": bool(flow),
        "userSetupAllowed": False,
    }
    if authenticator:
        execution["authenticator"] = authenticator
    if flow:
        execution["flowAlias"] = flow
    if config:
        execution["authenticatorConfig"] = config
    return execution


def _flow(
    alias: str, description: str, executions: list[Manifest], *, top: bool = False
) -> Manifest:
    return {
        "alias": alias,
        "description": description,
        "providerId": "basic-flow",
        "topLevel": top,
        "builtIn": False,
        "authenticationExecutions": executions,
    }


def _role_condition(alias: str, *, negate: bool) -> Manifest:
    return {"alias": alias, "config": {"condUserRole": MFA_ROLE, "negate": str(negate).lower()}}


def mfa_flows(mfa: Mfa) -> tuple[list[Manifest], list[Manifest]]:
    """The ``browser`` flow with the second factor, its sub-flows, and their configs."""
    methods = [_AUTHENTICATORS[m] for m in mfa.methods]
    use, setup = "second factor - use", "second factor - set up"
    flows: list[Manifest] = [
        _flow(
            use,
            "Any second factor the user has set up",
            [
                _execution("ALTERNATIVE", 10 * (i + 1), authenticator=m)
                for i, m in enumerate(methods)
            ],
        ),
        _flow(
            setup,
            f"Set up {mfa.methods[0]} when no second factor is set up",
            [_execution("REQUIRED", 10, authenticator=methods[0])],
        ),
    ]
    configs: list[Manifest] = []
    forms = [_execution("REQUIRED", 10, authenticator="auth-username-password-form")]
    must: list[Manifest] = []
    if mfa.required != "none":
        if mfa.required == "admins":
            configs.append(_role_condition("second factor for admins", negate=False))
            must.append(
                _execution(
                    "REQUIRED",
                    5,
                    authenticator="conditional-user-role",
                    config="second factor for admins",
                )
            )
        must += [_execution("ALTERNATIVE", 10, flow=use), _execution("ALTERNATIVE", 20, flow=setup)]
        flows.append(_flow("second factor - required", "A second factor, set up if missing", must))
        requirement = "CONDITIONAL" if mfa.required == "admins" else "REQUIRED"
        forms.append(_execution(requirement, 20, flow="second factor - required"))
    if mfa.required != "everyone":
        others: list[Manifest] = []
        if mfa.required == "admins":
            configs.append(_role_condition("others than admins", negate=True))
            others.append(
                _execution(
                    "REQUIRED",
                    5,
                    authenticator="conditional-user-role",
                    config="others than admins",
                )
            )
        others.append(_execution("REQUIRED", 10, authenticator="conditional-user-configured"))
        others += [
            _execution("ALTERNATIVE", 10 * (i + 2), authenticator=m) for i, m in enumerate(methods)
        ]
        flows.append(_flow("second factor - if set up", "A second factor the user set up", others))
        forms.append(_execution("CONDITIONAL", 30, flow="second factor - if set up"))
    browser = _flow(
        BROWSER_FLOW,
        "Browser based authentication, with the platform's second factor",
        [
            _execution("ALTERNATIVE", 10, authenticator="auth-cookie"),
            _execution("DISABLED", 20, authenticator="auth-spnego"),
            _execution("ALTERNATIVE", 25, authenticator="identity-provider-redirector"),
            _execution("ALTERNATIVE", 30, flow="forms"),
        ],
        top=True,
    )
    forms_flow = _flow("forms", "Username, password and the second factor", forms)
    return [browser, forms_flow, *flows, *default_flows()], configs


@cache
def _default_flows() -> tuple[Manifest, ...]:
    resource = resources.files("stackyard.render") / "data" / "keycloak-flows.yaml"
    data: dict[str, Any] = yaml.safe_load(resource.read_text(encoding="utf-8"))
    return tuple(data["flows"])


def default_flows() -> list[Manifest]:
    """Keycloak's ``direct grant`` and ``registration`` flows, as a new realm has them."""
    flows: list[Manifest] = []
    for flow in _default_flows():
        executions = [
            {
                "requirement": e["requirement"],
                "priority": e["priority"],
                "authenticatorFlow": "flowAlias" in e,
                "userSetupAllowed": False,
                **({"authenticator": e["authenticator"]} if "authenticator" in e else {}),
                **({"flowAlias": e["flowAlias"]} if "flowAlias" in e else {}),
            }
            for e in flow["authenticationExecutions"]
        ]
        flows.append({**flow, "authenticationExecutions": executions})
    return flows


@cache
def _default_required_actions() -> tuple[Manifest, ...]:
    resource = resources.files("stackyard.render") / "data" / "keycloak-required-actions.yaml"
    data: dict[str, Any] = yaml.safe_load(resource.read_text(encoding="utf-8"))
    return tuple(data["actions"])


def every_user_from_directories(identity: Identity) -> bool:
    """Whether the spec's people all come from directories (none kept in Keycloak)."""
    return bool(identity.directories) and all(g.directory is not None for g in identity.groups)


def required_actions(identity: Identity) -> list[Manifest] | None:
    """Keycloak's required actions with what the spec implies, or None to keep its own."""
    if identity.mfa is None and not identity.directories:
        return None
    enabled: dict[str, bool] = {}
    default: set[str] = set()
    if identity.mfa is not None:
        methods = identity.mfa.methods
        enabled |= {action: method in methods for method, action in _SETUP_ACTIONS.items()}
        if identity.mfa.required == "everyone":
            default.add(_SETUP_ACTIONS[methods[0]])
    if every_user_from_directories(identity):
        enabled["VERIFY_EMAIL"] = False
        if all(d.editMode == "READ_ONLY" for d in identity.directories):
            enabled["UPDATE_PASSWORD"] = False
    return [
        {
            "alias": action["alias"],
            "name": action["name"],
            "providerId": action["alias"],
            "enabled": enabled.get(action["alias"], action["enabled"]),
            "defaultAction": action["alias"] in default,
            "priority": action["priority"],
            "config": {},
        }
        for action in _default_required_actions()
    ]


def groups_mapper(protocol: str) -> Manifest:
    """The ``groups`` claim (OIDC) or attribute (SAML): group names, not paths."""
    if protocol == "saml":
        return {
            "name": "groups",
            "protocol": "saml",
            "protocolMapper": "saml-group-membership-mapper",
            "consentRequired": False,
            "config": {
                "attribute.name": "groups",
                "attribute.nameformat": "Basic",
                "friendly.name": "groups",
                "single": "false",
                "full.path": "false",
            },
        }
    return {
        "name": "groups",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-group-membership-mapper",
        "consentRequired": False,
        "config": {
            "claim.name": "groups",
            "full.path": "false",
            "id.token.claim": "true",
            "access.token.claim": "true",
            "userinfo.token.claim": "true",
        },
    }


def saml_client(provider: SamlProvider) -> Manifest:
    """A SAML 2.0 client for one service provider."""
    return {
        "clientId": provider.entityId,
        "name": provider.name,
        "enabled": True,
        "protocol": "saml",
        "frontchannelLogout": True,
        "redirectUris": [provider.acsUrl],
        "attributes": {
            "saml_name_id_format": _NAME_ID_FORMATS[provider.nameIdFormat],
            "saml_force_name_id_format": "true",
            "saml_assertion_consumer_url_post": provider.acsUrl,
            "saml.authnstatement": "true",
            "saml.server.signature": "true",
            "saml.assertion.signature": str(provider.signAssertions).lower(),
            "saml.signature.algorithm": "RSA_SHA256",
            # The spec holds no certificate of the provider: its requests cannot be
            # verified, so they are not required to be signed.
            "saml.client.signature": "false",
        },
        "protocolMappers": [groups_mapper("saml")],
    }


def oidc_client(client: OidcClient) -> Manifest:
    """An OpenID Connect client for an application beyond the platform's own."""
    document: Manifest = {
        "clientId": client.name,
        "name": client.name,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": client.public,
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "redirectUris": list(client.redirectUris),
        # "+": the origins of the redirect URIs.
        "webOrigins": ["+"],
        "attributes": {"pkce.code.challenge.method": "S256", "post.logout.redirect.uris": "+"},
        "protocolMappers": [groups_mapper("openid-connect")],
    }
    if not client.public:
        document["clientAuthenticatorType"] = "client-secret"
    return document


def with_identity(
    identity: Identity, document: Manifest, builtin_groups: tuple[str, ...]
) -> Manifest:
    """``document`` (the platform realm) with what ``identity`` declares added.

    Nothing changes for an identity section that declares none of it.
    """
    merged = dict(document)
    if identity.directories:
        merged["components"] = {STORAGE_PROVIDER: [ldap_component(d) for d in identity.directories]}
    groups = realm_groups(identity, builtin_groups)
    if [g["name"] for g in groups] != list(builtin_groups) or any(
        "realmRoles" in g for g in groups
    ):
        merged["groups"] = groups
    clients = [saml_client(p) for p in identity.samlProviders]
    clients += [oidc_client(c) for c in identity.oidcClients]
    if clients:
        merged["clients"] = [*merged.get("clients", []), *clients]
    if identity.mfa is not None:
        flows, configs = mfa_flows(identity.mfa)
        merged["authenticationFlows"] = flows
        merged["authenticatorConfig"] = configs
        merged["browserFlow"] = BROWSER_FLOW
        if identity.mfa.required == "admins":
            roles = dict(merged.get("roles", {}))
            role = {"name": MFA_ROLE, "description": "Must sign in with a second factor"}
            roles["realm"] = [*roles.get("realm", []), role]
            merged["roles"] = roles
    actions = required_actions(identity)
    if actions is not None:
        merged["requiredActions"] = actions
    return merged
