"""People from the company directory, and permissions that follow their groups.

The repository read as a whole is tests/assess/repos/identity-hardening (Active Directory
federated into a KeycloakRealmImport, group RoleBindings, kubeadm's own cluster-admin
binding); the variants below write one file each: a person bound to cluster-admin, a realm
held in a ConfigMap, Argo CD's bundled Dex with an LDAP connector.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.assess import Assessment, assess_directory
from stackyard.assess.model import Evidence
from stackyard.plan import make_plan
from stackyard.render import write_tree
from stackyard.render.build import render_metadata, render_plan
from stackyard.spec import load_spec_text
from tests.assess.citations import misquoted
from tests.assess.maturity.conftest import assess_files, control, corpus, spans
from tests.assess.maturity.test_identity_hardening import BUILT_IN_BROWSER_FLOW
from tests.conftest import EXAMPLES

REALM = "keycloak/realm-import.yaml"
RBAC = "rbac/platform-admins.yaml"


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    return corpus("identity-hardening")


def test_the_directory_and_the_group_bindings_are_cited_at_their_lines(
    assessment: Assessment,
) -> None:
    federation = control(assessment, "SSO-FEDERATION")
    assert federation.status == "achieved"
    assert federation.evidence == (Evidence(REALM, 21, 21, "providerId: ldap"),)
    rbac = control(assessment, "ACC-GROUP-RBAC")
    assert rbac.status == "achieved"
    assert sorted(spans(rbac)) == [(RBAC, 10, 12), (RBAC, 24, 26)]


def test_kubeadms_own_cluster_admin_binding_is_no_gap(assessment: Assessment) -> None:
    rbac = control(assessment, "ACC-GROUP-RBAC")
    assert rbac.gaps == ()
    assert all("kubeadm" not in e.text for e in rbac.evidence)


HUMAN_ADMIN = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: admins
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: Group
    name: oidc:platform-admins
  - kind: User
    name: alice@corp.example
  - kind: Group
    name: system:masters
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: developers
  namespace: shop
roleRef:
  kind: ClusterRole
  name: edit
subjects:
  - kind: Group
    name: oidc:developers
"""


def test_a_person_bound_to_cluster_admin_is_the_gap_whatever_else_is_bound(
    tmp_path: Path,
) -> None:
    assessment = assess_files(tmp_path, {"rbac.yaml": HUMAN_ADMIN})
    rbac = control(assessment, "ACC-GROUP-RBAC")
    assert rbac.status == "missing"
    assert rbac.detail == "cluster-admin bound to people: 2 subjects"
    assert [(e.line, e.end_line, e.quote) for e in rbac.gaps] == [
        (10, 11, "Group oidc:platform-admins"),
        (12, 13, "User alice@corp.example"),
    ]
    assert [e.quote for e in rbac.evidence] == ["Group oidc:developers"]  # still shown
    assert misquoted(assessment) == []


REALM_CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: keycloak-realm-platform
  namespace: keycloak
data:
  platform-realm.json: |
    {
      "realm": "platform",
      "components": {
        "org.keycloak.storage.UserStorageProvider": [
          {
            "name": "corp",
            "providerId": "ldap",
            "config": {"editMode": ["READ_ONLY"]}
          }
        ]
      },
      "identityProviders": [
        {"alias": "entra", "providerId": "microsoft", "enabled": true},
        {"alias": "old", "providerId": "oidc", "enabled": false}
      ]
    }
"""

ARGOCD_CM = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
data:
  dex.config: |
    connectors:
      - type: ldap
        id: corp
        name: Corp AD
        config:
          host: dc1.corp.example:636
"""


def test_federation_in_a_configmap_realm_and_argo_cds_dex_is_cited_at_its_lines(
    tmp_path: Path,
) -> None:
    assessment = assess_files(
        tmp_path, {"keycloak/realm.yaml": REALM_CONFIGMAP, "argocd/argocd-cm.yaml": ARGOCD_CM}
    )
    federation = control(assessment, "SSO-FEDERATION")
    assert federation.status == "achieved"
    assert sorted((e.file, e.line, e.quote) for e in federation.evidence) == [
        ("argocd/argocd-cm.yaml", 9, "type: ldap"),
        ("keycloak/realm.yaml", 14, "providerId: ldap"),
        ("keycloak/realm.yaml", 20, "providerId: microsoft"),  # the disabled one is not
    ]
    assert misquoted(assessment) == []


def test_a_realm_without_federation_keeps_its_own_accounts(tmp_path: Path) -> None:
    assessment = assess_files(tmp_path, {"realm-export.json": BUILT_IN_BROWSER_FLOW})
    federation = control(assessment, "SSO-FEDERATION")
    assert federation.status == "missing"
    assert federation.detail == "the identity provider keeps its own accounts only"


GROUPS = """
identity:
  groups:
    - name: platform-admins
      role: platform-admin
    - name: web-developers
      role: developer
      tenant: team-web
    - name: auditors
      role: auditor
"""


def test_stackyards_rendered_group_bindings_are_group_rbac_with_no_cluster_admin(
    tmp_path: Path,
) -> None:
    example = (EXAMPLES / "aws-enterprise.yaml").read_text(encoding="utf-8")
    text = example.split("\nidentity:", 1)[0] + "\n" + GROUPS  # its own groups left out
    spec = EXAMPLES / "aws-enterprise-groups.yaml"
    plan = make_plan(load_spec_text(text, str(spec), EXAMPLES))
    out = tmp_path / "tree"
    write_tree(render_plan(plan), out, render_metadata(plan))
    assessment = assess_directory(out, workers=0)
    rbac = control(assessment, "ACC-GROUP-RBAC")
    assert rbac.status == "achieved"
    assert rbac.gaps == ()
    bound = {e.quote for e in rbac.evidence}
    assert {
        "Group oidc:platform-admins",
        "Group oidc:web-developers",
        "Group oidc:auditors",
    } <= bound
    assert misquoted(assessment) == []
