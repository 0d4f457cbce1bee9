"""SY601: secret material in the spec is an error at its line; references are not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from stackyard.plan import Finding, Plan
from stackyard.render.build import render_plan
from tests.plan.conftest import EXAMPLE_NAMES, example_text

PlanText = Callable[[str], Plan]
POC = example_text("community-poc")
# Made-up material in the shapes real credentials have; none of it was ever valid.
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\\n"
    "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF0qAbCdEfGhIjKlMnOpQrStUvWxYz\\n"
    "-----END RSA PRIVATE KEY-----\\n"
)
AZURE_KEY = (
    "24rIZPw6cTK0zLwiU1cI54R4sXmvtoQVqx0wDUbuURM6PbHXhCwTpI/p9i37gfK/UvfRduqMbZHHqyPOYIj58I6p"
)
GCP_JSON = (
    '{"type": "service_account", "project_id": "demo", '
    '"private_key_id": "1234", "private_key": "-----BEGIN PRIVATE KEY-----\\\\nMIIE\\\\n"}'
)


def secret_findings(plan: Plan) -> list[Finding]:
    return [f for f in plan.findings if f.check == "SY601"]


def with_platform_values(component: str, values: str) -> str:
    """POC with a platform-wide values overlay (``values`` indented under ``values:``)."""
    body = "".join(f"      {line}\n" for line in values.splitlines())
    return POC + f"components:\n  {component}:\n    values:\n{body}"


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("values", "needle", "kind"),
    [
        ("adminPassword: hunter2", "adminPassword", "literal password"),
        ("auth:\n  nested:\n    token: abc123", "token:", "literal token"),
        ("ApiKey: 3f9a1c", "ApiKey", "literal API key"),
        ("api_key: 3f9a1c", "api_key", "literal API key"),
        ("API-KEY: 3f9a1c", "API-KEY", "literal API key"),
        ("oidc:\n  clientSecret: s3cr3t-value", "clientSecret", "literal client secret"),
        ("minio:\n  secretKey: minio123", "secretKey", "literal secret key"),
        ("count: 1\ndbPassword: 123456", "dbPassword", "literal password"),
        (f'tls:\n  pem: "{PEM}"', "pem:", "private key"),
        ("s3:\n  id: AKIAIOSFODNN7EXAMPLE", "id:", "aws access key"),
        (
            "s3:\n  secretAccessKey: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "secretAccessKey",
            "literal secret access key",
        ),
        (
            f'azure:\n  connection: "DefaultEndpointsProtocol=https;AccountKey={AZURE_KEY}"',
            "connection:",
            "azure storage account access key",
        ),
        (f"gcp:\n  serviceAccount: '{GCP_JSON}'", "serviceAccount:", "gcp service account key"),
        (
            "gcs:\n  key:\n    type: service_account\n    private_key: x\n    client_email: a@b",
            "key:",
            "gcp service account key",
        ),
        (
            "sessions:\n  signingKey: 8fK2pQz7XvR4mN1sT6yB3wL9cD5hJ0aE",
            "signingKey",
            "high-entropy string",
        ),
        (
            "env:\n  - name: DB_PASSWORD\n    value: hunter2",
            "value: hunter2",
            "environment variable DB_PASSWORD",
        ),
        (
            "extraArgs:\n  - --url=https://admin:hunter2@db.example.com",
            "--url=",
            "basic auth credentials",
        ),
    ],
)
def test_each_kind_of_secret_in_a_values_overlay_is_an_error_at_its_line(
    plan_text: PlanText, values: str, needle: str, kind: str
) -> None:
    text = with_platform_values("grafana", values)
    (finding,) = secret_findings(plan_text(text))
    assert finding.severity == "error"
    assert kind.lower() in finding.message.lower()
    assert finding.location.line == line_of(text, needle)
    assert finding.location.file == "platform.yaml"
    assert finding.field.startswith("components.grafana.values.")
    assert "Secret" in finding.hint and "reference" in finding.hint
    # The finding says where and what, never the secret itself.
    assert "hunter2" not in str(finding.message) + finding.hint


def test_a_secret_in_a_per_cluster_overlay_names_the_cluster(plan_text: PlanText) -> None:
    overlay = (
        "    role: standalone\n"
        "    components:\n"
        "      grafana:\n"
        "        values:\n"
        "          grafana.ini:\n"
        "            security:\n"
        "              admin_password: hunter2\n"
    )
    text = POC.replace("    role: standalone\n", overlay)
    (finding,) = secret_findings(plan_text(text))
    assert finding.cluster == "poc"
    assert (
        finding.field == "clusters[0].components.grafana.values.grafana.ini.security.admin_password"
    )
    assert finding.location.line == line_of(text, "admin_password")


@pytest.mark.parametrize(
    "url",
    [
        "https://deploy:hunter2@git.example.internal/poc/platform.git",
        "https://oauth2:glpat-abcdefghij0123456789@gitlab.example.com/poc/platform.git",
        "https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/org/platform.git",
    ],
)
def test_credentials_in_the_repo_url_are_an_error(plan_text: PlanText, url: str) -> None:
    text = POC.replace("https://git.example.internal/poc/platform.git", url)
    (finding,) = secret_findings(plan_text(text))
    assert finding.field == "gitops.repoURL"
    assert finding.location.line == line_of(text, "repoURL")
    assert "repository Secret" in finding.hint


@pytest.mark.parametrize(
    "url",
    [
        "ssh://git@git.example.internal/poc/platform.git",
        "git@github.com:org/platform.git",
        "https://git.example.internal/poc/platform.git",
    ],
)
def test_a_user_name_alone_in_the_repo_url_is_not_a_secret(plan_text: PlanText, url: str) -> None:
    text = POC.replace("https://git.example.internal/poc/platform.git", url)
    assert secret_findings(plan_text(text)) == []


REFERENCES = """\
admin:
  existingSecret: grafana-admin
  passwordKey: admin-password
  userKey: admin-user
password: ""
token: "${GRAFANA_TOKEN}"
apiKey: "$(API_KEY)"
clientSecret: "{{ .Values.oidc.secret }}"
secretKey: <your-secret-key>
passwordFile: /etc/secrets/password
tokenSecretRef:
  name: grafana-token
  key: token-key-8fK2pQz7XvR4mN1sT6
envFromSecret: grafana-env
automountServiceAccountToken: false
env:
  - name: DB_PASSWORD
    valueFrom:
      secretKeyRef: {name: db, key: password}
  - name: LOG_LEVEL
    value: debug
externalSecret:
  data:
    - secretKey: admin-password
      remoteRef: {key: grafana/admin, property: password}
"""


def test_references_to_secrets_are_not_findings(plan_text: PlanText) -> None:
    assert secret_findings(plan_text(with_platform_values("grafana", REFERENCES))) == []


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_no_finding_on_any_shipped_example(example_plans: dict[str, Plan], name: str) -> None:
    assert secret_findings(example_plans[name]) == []


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_the_rendered_values_of_an_example_as_overlays_are_not_findings(
    example_plans: dict[str, Plan], plan_text: PlanText, name: str
) -> None:
    # Everything Stackyard renders into values files references its secrets; fed back
    # as overlays, those values must not look like secrets either.
    overlays: dict[str, dict[str, object]] = {}
    for path, content in render_plan(example_plans[name]):
        if path.startswith("values/") and path.endswith(".yaml"):
            data = yaml.safe_load(content)
            if isinstance(data, dict):
                overlays.setdefault(Path(path).stem, {}).update(data)
    assert len(overlays) > 5
    spec = yaml.safe_load(example_text(name))
    spec["components"] = {component: {"values": v} for component, v in overlays.items()}
    assert secret_findings(plan_text(yaml.safe_dump(spec))) == []
