"""The spec's identity section in the platform realm: LDAP federation pointing at the
declared directory with its searches, groups, the MFA flow bound as the browser flow, SAML
and OIDC clients, and Keycloak's file vault holding the bind password."""

from __future__ import annotations

import json
from typing import Any

import yaml

from stackyard.spec.identity import ADMIN_ROLES
from tests.render.conftest import Rendered, example_text, render_text

REALM_FILE = "manifests/prod/keycloak/realm-platform.yaml"


def realm(result: Rendered) -> dict[str, Any]:
    configmap = result.find(REALM_FILE, "ConfigMap", "keycloak-realm-platform")
    return json.loads(configmap["data"]["platform-realm.json"])


def one(values: list[str]) -> str:
    (value,) = values
    return value


def mappers(component: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = component["subComponents"]["org.keycloak.storage.ldap.mappers.LDAPStorageMapper"]
    return {m["name"]: m for m in found}


def test_federation_points_at_the_declared_directory_with_its_searches(
    rendered: dict[str, Rendered],
) -> None:
    for name in ("aws-standard", "aws-enterprise"):
        result = rendered[name]
        identity = result.plan.spec.platform.identity
        (directory,) = identity.directories
        (component,) = realm(result)["components"]["org.keycloak.storage.UserStorageProvider"]
        config = {key: one(value) for key, value in component["config"].items()}
        assert (component["name"], component["providerId"]) == (directory.name, "ldap")
        assert config["connectionUrl"] == directory.url
        assert config["bindDn"] == directory.bindDN
        assert config["bindCredential"] == f"${{vault.ldap-{directory.name}-bind}}"
        assert config["vendor"] == {"ldap": "other", "active-directory": "ad"}[directory.type]
        # The search identity check runs: base DN, filter, subtree, paged; the object
        # class Keycloak ANDs to it is one every entry has.
        assert config["usersDn"] == directory.users.baseDN
        assert config["customUserSearchFilter"] == directory.users.filter
        assert (config["userObjectClasses"], config["searchScope"]) == ("top", "2")
        assert config["pagination"] == "true"
        assert config["usernameLDAPAttribute"] == directory.users.usernameAttribute
        assert config["uuidLDAPAttribute"] == directory.users.uuidAttribute
        assert config["editMode"] == "READ_ONLY"
        groups = mappers(component)["groups"]
        assert groups["providerId"] == "group-ldap-mapper"
        group_config = {key: one(value) for key, value in groups["config"].items()}
        assert directory.groups is not None
        assert group_config["groups.dn"] == directory.groups.baseDN
        assert group_config["groups.ldap.filter"] == directory.groups.filter
        assert group_config["group.name.ldap.attribute"] == directory.groups.nameAttribute
        assert group_config["membership.ldap.attribute"] == directory.groups.memberAttribute
        assert (group_config["mode"], group_config["membership.attribute.type"]) == (
            "READ_ONLY",
            "DN",
        )
        username = mappers(component)["username"]["config"]
        assert username["ldap.attribute"] == [directory.users.usernameAttribute]


def test_the_bind_password_reaches_keycloaks_file_vault(rendered: dict[str, Rendered]) -> None:
    result = rendered["aws-enterprise"]
    (directory,) = result.plan.spec.platform.identity.directories
    values = result.values("prod", "keycloak")
    env = {e["name"]: e["value"] for e in yaml.safe_load(values["extraEnv"])}
    assert (env["KC_VAULT"], env["KC_VAULT_DIR"]) == ("file", "/opt/keycloak/vault")
    volumes = {v["name"]: v for v in yaml.safe_load(values["extraVolumes"])}
    (source,) = volumes["ldap-vault"]["projected"]["sources"]
    assert source["secret"]["name"] == directory.bindPassword.secret
    # realm "platform", key "ldap-corp-bind": the file vault's <realm>_<key>
    assert source["secret"]["items"] == [
        {"key": directory.bindPassword.key, "path": "platform_ldap-corp-bind"}
    ]
    mounts = {m["name"]: m for m in yaml.safe_load(values["extraVolumeMounts"])}
    assert mounts["ldap-vault"]["mountPath"] == "/opt/keycloak/vault"
    assert "realm-platform" in mounts and "realm-platform" in volumes


def test_every_declared_group_exists_or_comes_from_its_directorys_mapper(
    rendered: dict[str, Rendered],
) -> None:
    for name in ("aws-standard", "aws-enterprise"):
        result = rendered[name]
        identity = result.plan.spec.platform.identity
        document = realm(result)
        in_realm = {g["name"] for g in document["groups"]}
        mapped = {
            c["name"]
            for c in document["components"]["org.keycloak.storage.UserStorageProvider"]
            if "groups" in mappers(c)
        }
        assert identity.groups
        for group in identity.groups:
            assert group.name in in_realm or group.directory in mapped, group.name


def test_keycloak_groups_are_realm_groups() -> None:
    text = example_text("aws-standard") + "    - {name: on-call, role: viewer}\n"
    document = realm(render_text(text))
    assert {"name": "on-call"} in document["groups"]


def test_the_mfa_flow_is_bound_and_asks_admins_for_a_second_factor(
    rendered: dict[str, Rendered],
) -> None:
    result = rendered["aws-enterprise"]
    identity = result.plan.spec.platform.identity
    document = realm(result)
    assert document["browserFlow"] == "browser"
    flows = {f["alias"]: f for f in document["authenticationFlows"]}
    assert flows["browser"]["topLevel"] is True
    # Keycloak adds no direct grant or registration flow to a file that lists flows.
    assert {"direct grant", "registration"} <= set(flows)
    forms = {
        e.get("flowAlias") or e["authenticator"]: e["requirement"]
        for e in flows["forms"]["authenticationExecutions"]
    }
    assert forms["auth-username-password-form"] == "REQUIRED"
    assert forms["second factor - required"] == "CONDITIONAL"
    condition = flows["second factor - required"]["authenticationExecutions"][0]
    assert condition["authenticator"] == "conditional-user-role"
    configs = {c["alias"]: c["config"] for c in document["authenticatorConfig"]}
    assert configs[condition["authenticatorConfig"]] == {
        "condUserRole": "mfa-required",
        "negate": "false",
    }
    # Every admin group carries the role the condition asks for.
    carries = {g["name"] for g in document["groups"] if "mfa-required" in g.get("realmRoles", [])}
    admins = {g.name for g in identity.groups if g.role in ADMIN_ROLES}
    assert admins and admins | {"platform-admins"} == carries
    assert {"name": "mfa-required", "description": "Must sign in with a second factor"} in (
        document["roles"]["realm"]
    )
    # Set up the first method when none is: REQUIRED, so Keycloak asks to set it up.
    (setup,) = flows["second factor - set up"]["authenticationExecutions"]
    assert (setup["authenticator"], setup["requirement"]) == ("webauthn-authenticator", "REQUIRED")
    use = flows["second factor - use"]["authenticationExecutions"]
    assert [(e["authenticator"], e["requirement"]) for e in use] == [
        ("webauthn-authenticator", "ALTERNATIVE"),
        ("auth-otp-form", "ALTERNATIVE"),
    ]
    # Every flow an execution names is in the file.
    for flow in flows.values():
        for execution in flow["authenticationExecutions"]:
            assert execution.get("flowAlias", "browser") in flows


def test_mfa_for_everyone_is_a_required_sub_flow() -> None:
    text = example_text("aws-standard").replace("required: admins ", "required: everyone")
    document = realm(render_text(text))
    flows = {f["alias"]: f for f in document["authenticationFlows"]}
    forms = {
        e.get("flowAlias"): e["requirement"] for e in flows["forms"]["authenticationExecutions"]
    }
    assert forms["second factor - required"] == "REQUIRED"
    assert "second factor - if set up" not in flows
    assert "authenticator" not in flows["second factor - required"]["authenticationExecutions"][0]
    assert "roles" not in document


def test_saml_and_oidc_applications_are_clients(rendered: dict[str, Rendered]) -> None:
    result = rendered["aws-enterprise"]
    identity = result.plan.spec.platform.identity
    clients = {c["clientId"]: c for c in realm(result)["clients"]}
    (provider,) = identity.samlProviders
    saml = clients[provider.entityId]
    assert saml["protocol"] == "saml"
    assert saml["redirectUris"] == [provider.acsUrl]
    attributes = saml["attributes"]
    assert attributes["saml_name_id_format"] == "email"
    assert attributes["saml_assertion_consumer_url_post"] == provider.acsUrl
    assert attributes["saml.assertion.signature"] == "true"
    assert attributes["saml.client.signature"] == "false"
    (application,) = identity.oidcClients
    oidc = clients[application.name]
    assert (oidc["protocol"], oidc["publicClient"]) == ("openid-connect", False)
    assert oidc["redirectUris"] == list(application.redirectUris)
    assert "secret" not in oidc


def test_a_realm_without_identity_features_is_unchanged() -> None:
    text = example_text("aws-standard")
    bare = text[: text.index("identity:")]
    document = realm(render_text(bare))
    assert "components" not in document and "authenticationFlows" not in document
    assert "requiredActions" not in document  # Keycloak's own defaults
    assert document["groups"] == [{"name": "platform-admins"}, {"name": "platform-viewers"}]


# Keycloak 26's required actions of a new realm (DefaultRequiredActions.java): a realm file
# that lists any must list them all, or the realm lacks the others.
KEYCLOAK_ACTIONS = {
    "CONFIGURE_TOTP",
    "TERMS_AND_CONDITIONS",
    "UPDATE_PASSWORD",
    "UPDATE_PROFILE",
    "VERIFY_EMAIL",
    "delete_account",
    "UPDATE_EMAIL",
    "webauthn-register",
    "webauthn-register-passwordless",
    "VERIFY_PROFILE",
    "delete_credential",
    "idp_link",
    "CONFIGURE_RECOVERY_AUTHN_CODES",
    "update_user_locale",
}


def actions(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    listed = document["requiredActions"]
    by_alias = {a["alias"]: a for a in listed}
    assert len(by_alias) == len(listed)
    assert set(by_alias) == KEYCLOAK_ACTIONS
    assert all(a["providerId"] == a["alias"] for a in listed)
    return by_alias


def enabled(document: dict[str, Any]) -> set[str]:
    return {alias for alias, a in actions(document).items() if a["enabled"]}


def defaults(document: dict[str, Any]) -> set[str]:
    return {alias for alias, a in actions(document).items() if a["defaultAction"]}


def test_required_actions_follow_the_mfa_methods_and_the_read_only_directory(
    rendered: dict[str, Rendered],
) -> None:
    standard = realm(rendered["aws-standard"])  # otp for admins, one READ_ONLY LDAP
    assert "CONFIGURE_TOTP" in enabled(standard)
    assert "webauthn-register" not in enabled(standard)
    enterprise = realm(rendered["aws-enterprise"])  # webauthn and otp for admins, READ_ONLY AD
    assert {"CONFIGURE_TOTP", "webauthn-register"} <= enabled(enterprise)
    for document in (standard, enterprise):
        # Admins set their method up in the conditional flow; nobody gets a default action.
        assert defaults(document) == set()
        # Every person comes from a read-only directory: it owns e-mail and password.
        assert not {"VERIFY_EMAIL", "UPDATE_PASSWORD"} & enabled(document)
        (component,) = document["components"]["org.keycloak.storage.UserStorageProvider"]
        assert component["config"]["trustEmail"] == ["true"]
        # The rest stays as Keycloak has it.
        assert {"UPDATE_PROFILE", "VERIFY_PROFILE", "delete_credential"} <= enabled(document)
        assert not {"TERMS_AND_CONDITIONS", "delete_account"} & enabled(document)


def test_mfa_for_everyone_makes_the_first_method_a_default_action() -> None:
    text = example_text("aws-enterprise").replace("required: admins ", "required: everyone")
    document = realm(render_text(text))
    assert defaults(document) == {"webauthn-register"}


def test_a_group_kept_in_keycloak_keeps_email_verification_and_password_updates() -> None:
    text = example_text("aws-standard") + "    - {name: on-call, role: viewer}\n"
    document = realm(render_text(text))
    assert {"VERIFY_EMAIL", "UPDATE_PASSWORD"} <= enabled(document)


def test_an_unsynced_directory_keeps_password_updates() -> None:
    groups = '      groups: {baseDN: "ou=groups,dc=corp,dc=example,dc=com"}\n'
    text = example_text("aws-standard").replace(groups, groups + "      editMode: UNSYNCED\n")
    document = realm(render_text(text))
    assert "UPDATE_PASSWORD" in enabled(document)
    assert "VERIFY_EMAIL" not in enabled(document)
