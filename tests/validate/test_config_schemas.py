"""Node configuration files checked against schemas written from their upstream Go types.

Every rendered example (and the kubeadm examples hardened, which is where the kubelet's
configuration and the kubeadm encryption configuration appear) has its kube-apiserver,
Pod Security, kubelet and kubeadm files checked with no problem and none listed as not
checked, including the ones a cloud-init user-data writes. A seeded fault in each is
an error naming the file, the line and the field.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stackyard.plan import make_plan
from stackyard.render import write_tree
from stackyard.render.build import render_metadata, render_plan
from stackyard.spec import load_spec_text
from stackyard.validate.configschemas import SCHEMAS, check_configuration
from stackyard.validate.objects import CONFIGURATION_GROUPS, check_objects
from stackyard.validate.repository import read_repository
from stackyard.validate.run import validate_directory
from stackyard.validate.userdata import written_files
from stackyard.yamlio import load_yaml_documents
from tests.render.conftest import EXAMPLE_NAMES, EXAMPLES, example_text

HARDENED = {
    "local-multicluster+cis": "hardening: {cis: true}\n",
    "mesh-local+vault-kms": (
        "hardening: {cis: true, encryptionAtRest: {provider: vault-kms, keyRotation: 90d}}\n"
    ),
}
NODE_KINDS = {
    ("apiserver.config.k8s.io/v1", "EncryptionConfiguration"),
    ("apiserver.config.k8s.io/v1", "AdmissionConfiguration"),
    ("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"),
    ("kubeadm.k8s.io/v1beta4", "InitConfiguration"),
    ("kubeadm.k8s.io/v1beta4", "ClusterConfiguration"),
    ("kubeadm.k8s.io/v1beta4", "JoinConfiguration"),
}


def _spec_text(name: str) -> str:
    example, _, variant = name.partition("+")
    text = example_text(example)
    if not variant:
        return text
    return text.split("\nhardening:", 1)[0].rstrip("\n") + "\n" + HARDENED[name]


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The five examples and two hardened kubeadm variants, rendered to disk."""
    out = {}
    for name in [*EXAMPLE_NAMES, *HARDENED]:
        plan = make_plan(load_spec_text(_spec_text(name), "platform.yaml", EXAMPLES))
        root = tmp_path_factory.mktemp("tree") / "repo"
        write_tree(render_plan(plan), root, render_metadata(plan))
        out[name] = root
    return out


def _node_files(root: Path) -> list[tuple[str, dict[str, object], int]]:
    """``(path, document, line)`` of every node configuration document the tree holds."""
    return [
        (path, document.data, document.locate(()).line)
        for path, document in read_repository(root).objects()
        if (document.data.get("apiVersion"), document.data.get("kind")) in NODE_KINDS
    ]


@pytest.mark.parametrize("name", [*EXAMPLE_NAMES, *HARDENED])
def test_every_node_configuration_file_is_checked_without_problems(
    trees: dict[str, Path], name: str
) -> None:
    repository = read_repository(trees[name])
    result = check_objects(repository, "1.35")
    # A user-data file (infrastructure/<cluster>/user-data/) also writes RKE2's static
    # manifests, whose HelmChart has no schema: a gap there is not a node document's.
    node_documents = {(path, line) for path, _, line in _node_files(trees[name])}
    assert [f for f in result.findings if not f.unchecked] == []
    for gap in result.findings:
        assert not any(what in gap.message for what in CONFIGURATION_GROUPS.values()), gap
        assert not any(
            gap.location.file.endswith(path) and gap.location.line == line
            for path, line in node_documents
        ), gap


def test_the_examples_cover_every_node_configuration_kind(trees: dict[str, Path]) -> None:
    seen: set[tuple[object, object]] = set()
    embedded = 0
    for root in trees.values():
        for _, data, _ in _node_files(root):
            seen.add((data["apiVersion"], data["kind"]))
            plugins = data.get("plugins")
            if isinstance(plugins, list):
                embedded += sum(
                    p["configuration"]["kind"] == "PodSecurityConfiguration" for p in plugins
                )
    assert seen == NODE_KINDS
    assert embedded >= 1
    assert set(SCHEMAS) > NODE_KINDS


def test_files_a_user_data_writes_are_checked_where_they_are_written(
    trees: dict[str, Path],
) -> None:
    root = trees["local-multicluster+cis"]
    text = (root / "nodes/mgmt/cloud-init/mgmt-cp.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    written = {
        (data["kind"], line)
        for path, data, line in _node_files(root)
        if path == "nodes/mgmt/cloud-init/mgmt-cp.yaml"
    }
    kinds = {kind for kind, _ in written}
    assert {"InitConfiguration", "ClusterConfiguration", "KubeletConfiguration"} <= kinds
    assert "EncryptionConfiguration" in kinds
    for kind, line in written:  # each located at its own apiVersion line in the user-data
        assert lines[line - 1].strip().startswith("apiVersion:"), (kind, line)
        assert lines[line].strip() == f"kind: {kind}"


def _seed(tree: Path, relative: str, old: str, new: str, tmp_path: Path) -> tuple[Path, int]:
    """A tree holding ``relative`` from ``tree`` with ``old`` replaced; the changed line."""
    text = (tree / relative).read_text(encoding="utf-8")
    at = text.index(old)
    changed = text.replace(old, new, 1)
    target = tmp_path / "repo" / relative
    target.parent.mkdir(parents=True)
    target.write_text(changed, encoding="utf-8")
    last = at + new.rstrip("\n").rfind("\n") + 1  # where the last line of ``new`` starts
    return tmp_path / "repo", changed[:last].count("\n") + 1


def _errors(root: Path) -> list[tuple[str, int, str]]:
    report = validate_directory(root)
    return [(f.location.file, f.location.line, f.message) for f in report.errors]


def test_an_unknown_kubelet_field_in_a_user_data_is_an_error_at_its_line(
    trees: dict[str, Path], tmp_path: Path
) -> None:
    path = "nodes/mgmt/cloud-init/mgmt-cp.yaml"
    root, line = _seed(
        trees["local-multicluster+cis"],
        path,
        "    readOnlyPort: 0\n",
        "    readOnlyPort: 0\n    readOnlyPorts: 0\n",
        tmp_path,
    )
    ((file, at, message),) = _errors(root)
    assert file.endswith(path) and at == line
    assert message.startswith("KubeletConfiguration at readOnlyPorts: unknown field")
    assert "readOnlyPort'" in message  # the closest allowed name


def test_a_bad_pod_security_level_is_an_error_at_its_path_in_the_admission_file(
    trees: dict[str, Path], tmp_path: Path
) -> None:
    path = "nodes/prod/rke2/stackyard-pss.yaml"
    root, line = _seed(
        trees["aws-enterprise"], path, "enforce: restricted", "enforce: strict", tmp_path
    )
    ((file, at, message),) = _errors(root)
    assert file.endswith(path) and at == line
    assert message.startswith("AdmissionConfiguration at plugins[0].configuration.defaults.enforce")
    assert "strict" in message


def test_a_provider_of_the_wrong_type_is_an_error_at_its_line(
    trees: dict[str, Path], tmp_path: Path
) -> None:
    path = "nodes/prod/rke2/encryption-config.yaml"
    root, line = _seed(trees["aws-enterprise"], path, "identity: {}", "identity: enabled", tmp_path)
    ((file, at, message),) = _errors(root)
    assert file.endswith(path) and at == line
    assert message.startswith("EncryptionConfiguration at resources[0].providers[1].identity")
    assert "object" in message


def test_an_unknown_kubeadm_api_server_field_is_an_error_at_its_line(
    trees: dict[str, Path], tmp_path: Path
) -> None:
    # v1beta3's field, moved to timeouts in v1beta4: kubeadm init would drop it with a warning.
    path = "nodes/mgmt/kubeadm/init-config.yaml"
    root, line = _seed(
        trees["local-multicluster"],
        path,
        "apiServer:\n",
        "apiServer:\n  timeoutForControlPlane: 4m0s\n",
        tmp_path,
    )
    ((file, at, message),) = _errors(root)
    assert file.endswith(path) and at == line
    assert message.startswith(
        "ClusterConfiguration at apiServer.timeoutForControlPlane: unknown field"
    )


def test_content_that_is_not_a_literal_block_is_located_at_its_string() -> None:
    text = (
        "#cloud-config\nwrite_files:\n- path: /var/lib/kubelet/config.yaml\n"
        '  content: "apiVersion: kubelet.config.k8s.io/v1beta1\\nkind: KubeletConfiguration\\n'
        'maxPods: many\\n"\n'
    )
    [user_data] = load_yaml_documents(text, "user-data.yaml")
    [kubelet] = written_files(user_data, text).documents
    assert kubelet.locate(("maxPods",)).line == 4
    [problem] = check_configuration(kubelet.data)
    assert problem.path == "maxPods" and "integer" in problem.message


def test_user_data_content_that_is_not_yaml_is_a_finding_at_its_line() -> None:
    text = "write_files:\n- path: /etc/kubernetes/x.yaml\n  content: |\n    a: [\n"
    [user_data] = load_yaml_documents(text, "user-data.yaml")
    found = written_files(user_data, text)
    assert found.documents == []
    [problem] = found.problems
    assert (problem.location.line, problem.check) == (3, "yaml")
    assert problem.message.startswith("/etc/kubernetes/x.yaml (write_files[0].content)")


@pytest.mark.parametrize(
    ("document", "path"),
    [
        (
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
            "streamingConnectionIdleTimeout: 4 hours\n",
            "streamingConnectionIdleTimeout",
        ),
        (
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n"
            "encryptionAlgorithm: RSA-1024\n",
            "encryptionAlgorithm",
        ),
        (
            "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n"
            "resources:\n- resources: [secrets]\n  providers:\n"
            "  - {identity: {}, aescbc: {keys: []}}\n",
            "resources[0].providers[0]",
        ),
        (
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n"
            "nodeRegistration: {taints: [{key: a, effect: NoWhere}]}\n",
            "nodeRegistration.taints[0].effect",
        ),
    ],
)
def test_durations_enums_and_one_provider_per_entry_are_checked(document: str, path: str) -> None:
    [loaded] = load_yaml_documents(document, "config.yaml")
    assert [p.path for p in check_configuration(loaded.data)] == [path]
