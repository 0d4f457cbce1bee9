"""Keycloak or a company directory down: new sign-ins fail, sessions and tokens run out.

Keycloak down stops every new sign-in: the platform's UIs (``sso-login``) and kubectl,
whose ID tokens come from the platform realm that every API server trusts
(``kube-api-login``). What people already hold keeps working until its lifetime ends: an
SSO session until the realm's ``ssoSessionMaxLifespan`` (rendered: 10h), an ID token
until ``accessTokenLifespan`` (Keycloak's default, 300 s). A declared directory is a
failure domain of its own (``directory:<name>``): its outage stops the sign-in of the
people it federates and nobody else's.
"""

from __future__ import annotations

import pytest

from stackyard.errors import InputError
from stackyard.render.settings import RenderSettings
from stackyard.simulate.engine import Simulation
from stackyard.simulate.matrix import failure_matrix
from stackyard.simulate.model import RuntimeModel
from stackyard.simulate.run import run_scenario
from stackyard.simulate.scenario import single_failure
from tests.conftest import EXAMPLES
from tests.simulate.conftest import example_model, model_from_text

REALM = "manifests/prod/keycloak/realm-platform.yaml"
DIRECTORY = """
identity:
  directories:
    - name: {name}
      type: active-directory
      url: ldaps://{name}.example.com
      bindDN: CN=svc-keycloak,OU=Service Accounts,DC=corp,DC=example,DC=com
      bindPassword: {{secret: keycloak-ldap-bind, key: password}}
      users: {{baseDN: "OU=Staff,DC=corp,DC=example,DC=com"}}
"""
SECOND = """\
    - name: {name}
      type: ldap
      url: ldap://{name}.example.com
      bindDN: cn=keycloak,ou=services,dc=example,dc=com
      bindPassword: {{secret: keycloak-ldap-bind, key: password}}
      tls: {{startTLS: true}}
      users: {{baseDN: "ou=people,dc=example,dc=com"}}
"""


def federated(*names: str) -> RuntimeModel:
    """aws-enterprise with Keycloak federating the directories ``names``."""
    text = (EXAMPLES / "aws-enterprise.yaml").read_text(encoding="utf-8")
    text = text.split("\nidentity:", 1)[0] + "\n"  # the example's own directory left out
    text += DIRECTORY.format(name=names[0]) + "".join(SECOND.format(name=n) for n in names[1:])
    return model_from_text(text, str(EXAMPLES / "federated.yaml"))


def events(simulation: Simulation, function: str) -> list[tuple[float, str]]:
    return [(e.at, e.kind) for e in simulation.events if e.function == function]


def test_keycloak_down_stops_kubectl_sign_in_and_tokens_last_their_lifespan() -> None:
    model = example_model("aws-enterprise")
    simulation = run_scenario(model, single_failure(model, "keycloak", "1h")).simulation
    assert events(simulation, "kube-api-login") == [
        (0.0, "interrupted"),
        (300.0, "exhausted"),
        (3600.0, "recovered"),
    ]
    login = next(f for f in model.functions if f.id == "kube-api-login")
    assert login.providers[0] == "keycloak@prod"
    assert login.buffer is not None
    assert login.buffer.evidence.field == "realm accessTokenLifespan"
    assert login.buffer.evidence.source.startswith("Keycloak default, 300 s")
    interrupted = next(
        e for e in simulation.events if e.function == "kube-api-login" and e.kind == "interrupted"
    )
    assert "nobody gets a new Kubernetes API token" in interrupted.text
    assert "break-glass certificate keeps working" in interrupted.text
    # The applications' sessions outlive the hour: kept, never exhausted.
    assert {kind for _, kind in events(simulation, "sso-login")} == {"interrupted", "recovered"}


def test_a_directory_is_a_failure_domain_only_where_one_is_declared() -> None:
    bare = (EXAMPLES / "aws-enterprise.yaml").read_text(encoding="utf-8").split("\nidentity:")[0]
    assert not [
        s
        for s in model_from_text(bare + "\n", str(EXAMPLES / "b.yaml")).services
        if s.startswith("directory")
    ]
    model = federated("corp")
    directory = model.services["directory:corp"]
    assert directory.external and directory.component == "directory"
    assert "ldaps://corp.example.com" in directory.description
    # Without Keycloak nothing federates the directory: no failure domain.
    text = (EXAMPLES / "local-multicluster.yaml").read_text(encoding="utf-8")
    local = model_from_text(text + DIRECTORY.format(name="corp"), str(EXAMPLES / "l.yaml"))
    assert "directory:corp" not in local.services


def test_a_directory_outage_stops_its_peoples_sign_in_until_sessions_end() -> None:
    model = federated("corp")
    report = run_scenario(model, single_failure(model, "directory:corp", "12h"))
    simulation = report.simulation
    assert events(simulation, "directory-login") == [
        (0.0, "interrupted"),
        (36000.0, "exhausted"),  # the rendered realm's ssoSessionMaxLifespan
        (43200.0, "recovered"),
    ]
    first = next(e for e in simulation.events if e.function == "directory-login")
    assert "cannot sign in anew" in first.text
    assert "accounts kept in Keycloak itself still sign in" in first.text
    assert "keep their SSO sessions" in first.text
    assert first.source is not None and first.source.startswith(
        f"realm ssoSessionMaxLifespan = 10h ({REALM}:"
    )
    # Keycloak itself is up: single sign-on and kubectl's tokens are untouched.
    assert events(simulation, "sso-login") == []
    assert events(simulation, "kube-api-login") == []


def test_directory_targets_one_directory_or_all_of_them() -> None:
    model = federated("corp", "lab")
    both = single_failure(model, "directory", "1h")
    assert both.steps[0].services == {"directory:corp", "directory:lab"}
    one = run_scenario(model, single_failure(model, "directory:lab", "1h")).simulation
    down = {o.function.provider for o in one.affected()}
    assert down == {"directory:lab"}
    with pytest.raises(InputError, match="directory:lib"):
        single_failure(model, "directory:lib", "1h")


def test_the_failure_matrix_lists_each_directory_with_its_sessions_kept() -> None:
    model = federated("corp")
    matrix = failure_matrix(model, 3600.0)
    row = next(r for r in matrix.rows if r.target == "directory:corp")
    (effect,) = row.effects
    assert (effect.function, effect.state, effect.buffer) == ("directory-login", "kept", "10h")
    assert effect.where == ("prod",)
    assert "keep their SSO sessions" in effect.kept
    keycloak = next(r for r in matrix.rows if r.target == "keycloak@prod")
    states = {(e.function, e.state) for e in keycloak.effects}
    assert {("kube-api-login", "exhausted"), ("sso-login", "kept")} <= states
    # The directory's people are reported through Keycloak's own outage (its consumer).
    assert "directory-login" not in {e.function for e in keycloak.effects}


def test_a_realm_that_writes_its_token_lifespan_sets_the_buffer() -> None:
    realm = (
        '{\n  "realm": "platform",\n  "accessTokenLifespan": 600,\n'
        '  "ssoSessionMaxLifespan": 28800\n}'
    )
    manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "keycloak-realm-platform"},
        "data": {"platform-realm.json": realm},
    }
    text = "data:\n  platform-realm.json: |\n" + "".join(
        f"    {line}\n" for line in realm.splitlines()
    )
    settings = RenderSettings()
    settings.record_manifests("realm.yaml", "mgmt", [manifest], text)
    token = settings.setting("access-token-lifespan", "mgmt")
    session = settings.setting("sso-session-max-lifespan", "mgmt")
    assert token is not None and session is not None
    assert (token.written.value, token.written.line, token.written.field) == (
        "10m",
        5,
        "realm accessTokenLifespan",
    )
    assert (session.written.value, session.written.line) == ("8h", 6)
