"""A second factor, the audit log, encryption at rest and CIS, with their lines.

The repository read as a whole is tests/assess/repos/identity-hardening (its README says
what an expert reads there); the variants below write one file each, so every verdict's
reason (an optional second factor, Secrets written in
plain text, an audit policy with no log) is shown by the smallest tree that has it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.assess import Assessment
from stackyard.assess.model import Evidence
from tests.assess.citations import misquoted
from tests.assess.maturity.conftest import assess_files, control, corpus, spans

KUBEADM = "clusters/prod/kubeadm-config.yaml"
REALM = "keycloak/realm-import.yaml"
ENCRYPTION = "clusters/prod/encryption-config.yaml"


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    return corpus("identity-hardening")


def test_every_control_of_the_repository_is_achieved_at_its_lines(assessment: Assessment) -> None:
    expected = {
        "ACC-MFA": [(REALM, 16, 16)],
        "HARD-AUDIT": [(KUBEADM, 18, 19), (KUBEADM, 20, 21)],
        "HARD-ENCRYPTION": [(ENCRYPTION, 8, 12), (KUBEADM, 24, 25)],
        "HARD-CIS": [(KUBEADM, 16, 17), ("clusters/prod/kubelet-config.yaml", 9, 9)],
        "HARD-KMS": [(ENCRYPTION, 8, 12)],
        "HARD-BENCHMARK": [("security/kube-bench.yaml", 16, 16)],
    }
    for control_id, where in expected.items():
        result = control(assessment, control_id)
        assert result.status == "achieved", (control_id, result.detail)
        assert sorted(spans(result)) == sorted(where), control_id
    assert assessment.area("cluster-hardening").rating == 5
    assert misquoted(assessment) == []


def test_the_realm_and_its_flags_are_quoted_as_written(assessment: Assessment) -> None:
    assert control(assessment, "ACC-MFA").evidence == (
        Evidence(REALM, 16, 16, "defaultAction: true"),
    )
    audit = control(assessment, "HARD-AUDIT").evidence
    assert audit[0].text == "audit-policy-file: /etc/kubernetes/audit/policy.yaml"
    assert control(assessment, "HARD-KMS").evidence == (Evidence(ENCRYPTION, 8, 12, "kms:"),)


BUILT_IN_BROWSER_FLOW = """\
{
  "realm": "platform",
  "clients": [{"clientId": "grafana"}],
  "browserFlow": "browser",
  "authenticationFlows": [
    {
      "alias": "browser",
      "authenticationExecutions": [
        {"authenticator": "auth-cookie", "requirement": "ALTERNATIVE"},
        {"flowAlias": "forms", "requirement": "ALTERNATIVE", "authenticatorFlow": true}
      ]
    },
    {
      "alias": "forms",
      "authenticationExecutions": [
        {"authenticator": "auth-username-password-form", "requirement": "REQUIRED"},
        {
          "flowAlias": "Browser - Conditional OTP",
          "requirement": "CONDITIONAL",
          "authenticatorFlow": true
        }
      ]
    },
    {
      "alias": "Browser - Conditional OTP",
      "authenticationExecutions": [
        {"authenticator": "conditional-user-configured", "requirement": "REQUIRED"},
        {"authenticator": "auth-otp-form", "requirement": "REQUIRED"}
      ]
    }
  ]
}
"""


def test_keycloaks_built_in_conditional_otp_is_an_optional_second_factor(
    tmp_path: Path,
) -> None:
    assessment = assess_files(tmp_path, {"realm-export.json": BUILT_IN_BROWSER_FLOW})
    mfa = control(assessment, "ACC-MFA")
    assert mfa.status == "missing"
    assert "second factor optional" in mfa.detail
    assert [(e.file, e.line, e.quote) for e in mfa.gaps] == [
        ("realm-export.json", 28, "authenticator: auth-otp-form")
    ]
    required = BUILT_IN_BROWSER_FLOW.replace(
        '{"authenticator": "conditional-user-configured", "requirement": "REQUIRED"},\n', ""
    )
    assessment = assess_files(tmp_path / "required", {"realm-export.json": required})
    assert control(assessment, "ACC-MFA").status == "achieved"
    assert control(assessment, "ACC-MFA").evidence[0].line == 27


PLAIN_SECRETS = """\
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - identity: {}
      - aescbc:
          keys:
            - name: key1
              secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==
"""


def test_identity_first_writes_secrets_in_plain_text(tmp_path: Path) -> None:
    assessment = assess_files(tmp_path, {"encryption.yaml": PLAIN_SECRETS})
    encryption = control(assessment, "HARD-ENCRYPTION")
    assert encryption.status == "missing"
    assert [(e.line, e.end_line, e.text) for e in encryption.gaps] == [
        (6, 6, "identity: — Secrets written in plain text")
    ]


RKE2_SERVER = """\
token-file: /etc/rancher/rke2/cluster-token
cni: cilium
profile: cis
audit-policy-file: /etc/rancher/rke2/audit-policy.yaml
"""


def test_rke2_audits_with_a_policy_file_and_encrypts_by_default(tmp_path: Path) -> None:
    assessment = assess_files(tmp_path, {"rke2/config.yaml": RKE2_SERVER})
    assert control(assessment, "HARD-AUDIT").status == "achieved"  # RKE2 sets the log path
    assert control(assessment, "HARD-CIS").evidence == (
        Evidence("rke2/config.yaml", 3, 3, "profile: cis"),
    )
    encryption = control(assessment, "HARD-ENCRYPTION")
    assert encryption.status == "achieved"
    assert "RKE2 default" in encryption.evidence[0].text
    assert control(assessment, "HARD-KMS").status == "missing"
    off = RKE2_SERVER + "secrets-encryption: false\n"
    assessment = assess_files(tmp_path / "off", {"rke2/config.yaml": off})
    encryption = control(assessment, "HARD-ENCRYPTION")
    assert encryption.status == "missing"
    assert encryption.gaps == (Evidence("rke2/config.yaml", 5, 5, "secrets-encryption: false"),)
    assert misquoted(assessment) == []


KUBEADM_POLICY_ONLY = """\
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
apiServer:
  extraArgs:
    audit-policy-file: /etc/kubernetes/audit-policy.yaml
"""


def test_an_audit_policy_without_a_log_backend_records_nothing(tmp_path: Path) -> None:
    assessment = assess_files(tmp_path, {"kubeadm/cluster.yaml": KUBEADM_POLICY_ONLY})
    audit = control(assessment, "HARD-AUDIT")
    assert audit.status == "partial"
    assert "records nothing" in audit.detail
    assert audit.evidence == (
        Evidence(
            "kubeadm/cluster.yaml", 5, 5, "audit-policy-file: /etc/kubernetes/audit-policy.yaml"
        ),
    )
