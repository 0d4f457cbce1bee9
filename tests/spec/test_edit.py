"""Adding and removing a cluster in platform.yaml keeps every untouched line as it was."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest

from stackyard.errors import InputError, SpecError, YamlError
from stackyard.spec import load_spec_text
from stackyard.spec.edit import SpecText, add_cluster, read_spec_text, remove_cluster
from tests.conftest import EXAMPLES, with_example_apis

APP3: dict[str, Any] = {
    "name": "app3",
    "role": "app",
    "nodePools": [
        {"name": "cp", "role": "control-plane", "count": 1, "cpu": 2, "memory": "3Gi"},
        {"name": "worker", "count": 1, "cpu": 2, "memory": "4Gi"},
    ],
    "network": {
        "nodeSubnet": "192.168.64.0/24",
        "nodeRange": "192.168.64.40-192.168.64.49",
        "podCIDR": "10.103.0.0/16",
        "serviceCIDR": "10.99.0.0/16",
    },
    "labels": {"team": "payments", "tier": "1.35"},
}

# A spec written the way people write them: comments everywhere, odd spacing, every
# quoting style, a comment above each cluster, clusters set apart by blank lines.
HAND_WRITTEN = """\
# Our lab platform. Reviewed by the platform team.
apiVersion: stackyard.dev/v1alpha1
kind: Platform
name:   lab            # spacing after the colon is ours
edition: enterprise
provider: local
kubernetes: {distribution: kubeadm, version: "1.35", cloudProvider: 'none'}
gitops:
    repoURL: https://git.example.internal/platform/lab.git   # four-space indentation
    path: .
domain: platform.local.example
host:
    cpu: 10
    memory: 128Gi
    systemReserved: 8Gi
clusters:
# the management cluster runs Argo CD
- name: mgmt
  role: mgmt
  nodePools:
  - name: cp
    role: control-plane
    count: 1
    cpu: 2
    memory: 4Gi
    schedulable: true
  network:
      nodeSubnet: 192.168.64.0/24
      nodeRange: 192.168.64.10-192.168.64.19
      podCIDR: 10.100.0.0/16
      serviceCIDR: 10.96.0.0/16

# payments runs here
- name: app1
  role: app
  nodePools:
  - {name: cp, role: control-plane, count: 1, cpu: 2, memory: 3Gi}
  network:
      nodeSubnet: 192.168.64.0/24
      nodeRange: 192.168.64.20-192.168.64.29
      podCIDR: 10.101.0.0/16
      serviceCIDR: 10.97.0.0/16   # keep clear of the office VPN
  # app1 is retired next quarter

# end of the clusters
networking:
  cni: cilium
"""


def _spec(tmp_path: Path, text: str, name: str = "platform.yaml") -> SpecText:
    path = tmp_path / name
    path.write_text(text)
    return read_spec_text(path)


def _example(tmp_path: Path, name: str) -> SpecText:
    return _spec(tmp_path, (EXAMPLES / name).read_text())


def test_an_added_cluster_is_the_only_difference_in_an_example(tmp_path: Path) -> None:
    spec = _example(tmp_path, "local-multicluster.yaml")
    edit = add_cluster(spec, APP3)
    old, new = spec.text.splitlines(keepends=True), edit.text.splitlines(keepends=True)
    assert new[: len(old)] == old
    added = "".join(new[len(old) :])
    assert added.startswith("  - name: app3\n    role: app\n    nodePools:\n")
    # the examples write node pools as flow mappings, one a line: so does the edit
    assert "      - {name: cp, role: control-plane, count: 1, cpu: 2, memory: 3Gi}\n" in added
    assert "      tier: '1.35'\n" in added  # a string that looks like a number stays one
    assert [c.name for c in edit.spec.platform.clusters] == ["mgmt", "app1", "app2", "app3"]
    assert edit.spec.platform.clusters[3].labels == {"team": "payments", "tier": "1.35"}


def test_a_removed_cluster_takes_only_its_own_lines(tmp_path: Path) -> None:
    spec = _example(tmp_path, "local-multicluster.yaml")
    edit = remove_cluster(spec, "app1")
    old = spec.text.splitlines(keepends=True)
    start = old.index("  - name: app1\n")
    end = old.index("  - name: app2\n")
    assert edit.text.splitlines(keepends=True) == old[:start] + old[end:]
    assert [c.name for c in edit.spec.platform.clusters] == ["mgmt", "app2"]


def test_a_hand_written_spec_keeps_comments_spacing_and_quotes(tmp_path: Path) -> None:
    spec = _spec(tmp_path, HAND_WRITTEN)
    edit = add_cluster(spec, APP3)
    old = HAND_WRITTEN.splitlines(keepends=True)
    new = edit.text.splitlines(keepends=True)
    # the new cluster goes right after app1's last line (its own comment included),
    # before the blank line and the comment that belong to what follows
    insert = old.index("  # app1 is retired next quarter\n") + 1
    assert new[:insert] == old[:insert]
    assert new[len(new) - (len(old) - insert) :] == old[insert:]
    added = "".join(new[insert : len(new) - (len(old) - insert)])
    # the file's own layout: dash at column 0, nested mappings four deep, block pools
    assert added.startswith("- name: app3\n  role: app\n  nodePools:\n  - name: cp\n")
    assert "  network:\n      nodeSubnet: 192.168.64.0/24\n" in added
    assert load_spec_text(edit.text).platform.clusters[2].name == "app3"


def test_removing_a_cluster_takes_the_comment_above_it_and_one_blank_line(
    tmp_path: Path,
) -> None:
    spec = _spec(tmp_path, HAND_WRITTEN)
    edit = remove_cluster(spec, "app1")
    old = HAND_WRITTEN.splitlines(keepends=True)
    start = old.index("# payments runs here\n")
    end = old.index("  # app1 is retired next quarter\n") + 1
    # the blank line before it goes too, so one blank line is left between mgmt and
    # the comment that ends the clusters
    assert edit.text.splitlines(keepends=True) == old[: start - 1] + old[end:]
    assert "# the management cluster runs Argo CD\n" in edit.text
    assert "# end of the clusters\n" in edit.text


def test_removing_the_first_cluster_keeps_the_rest_intact(tmp_path: Path) -> None:
    spec = _spec(tmp_path, HAND_WRITTEN)
    edit = remove_cluster(spec, "mgmt")
    assert "name: mgmt" not in edit.text
    assert "# the management cluster runs Argo CD" not in edit.text
    assert edit.text.startswith(HAND_WRITTEN[: HAND_WRITTEN.index("# the management")])
    assert edit.text.endswith(HAND_WRITTEN[HAND_WRITTEN.index("# payments runs here") :])


def test_a_flow_style_cluster_list_is_edited_by_a_full_round_trip(tmp_path: Path) -> None:
    text = HAND_WRITTEN.replace(
        HAND_WRITTEN[HAND_WRITTEN.index("clusters:\n") : HAND_WRITTEN.index("networking:")],
        "clusters: [{name: solo, role: standalone, nodePools: [{name: cp, role: control-plane, "
        "count: 1, cpu: 4, memory: 8Gi, schedulable: true}], network: {nodeRange: "
        "192.168.64.10-192.168.64.19, podCIDR: 10.100.0.0/16, serviceCIDR: 10.96.0.0/16}}]\n",
    )
    spec = _spec(tmp_path, text)
    edit = add_cluster(spec, {**APP3, "role": "standalone"})
    assert [c.name for c in edit.spec.platform.clusters] == ["solo", "app3"]
    assert edit.text.startswith("# Our lab platform. Reviewed by the platform team.\n")
    # ruamel.yaml's round trip keeps the comments and the file's indentation
    assert "\n    repoURL: https://git.example.internal/platform/lab.git" in edit.text
    assert "# four-space indentation\n" in edit.text


def test_crlf_line_endings_and_a_missing_last_newline_are_kept(tmp_path: Path) -> None:
    text = HAND_WRITTEN.replace("\n", "\r\n").rstrip("\r\n")
    path = tmp_path / "platform.yaml"
    path.write_bytes(text.encode())
    spec = read_spec_text(path)
    edit = add_cluster(spec, APP3)
    assert "\n" not in edit.text.replace("\r\n", "")
    kept = text[: text.index("\r\n\r\n# end of the clusters") + 2]
    assert edit.text.startswith(kept + "- name: app3\r\n")
    removed = remove_cluster(spec, "app1")
    assert removed.text.endswith("networking:\r\n  cni: cilium")


def test_a_name_already_there_is_refused_at_its_line(tmp_path: Path) -> None:
    spec = _spec(tmp_path, HAND_WRITTEN)
    with pytest.raises(InputError) as caught:
        add_cluster(spec, {**APP3, "name": "app1"})
    problem = caught.value.problems[0]
    assert problem.location.file == str(tmp_path / "platform.yaml")
    assert problem.location.line == HAND_WRITTEN.splitlines().index("- name: app1") + 1
    assert problem.field == "clusters[1].name"
    assert "already in the spec" in problem.message


def test_an_absent_name_is_refused_with_the_names_there(tmp_path: Path) -> None:
    spec = _spec(tmp_path, HAND_WRITTEN)
    with pytest.raises(InputError) as caught:
        remove_cluster(spec, "app9")
    problem = caught.value.problems[0]
    assert problem.field == "clusters"
    assert "no cluster named 'app9'" in problem.message
    assert problem.hint == "clusters: mgmt, app1"


def test_an_invalid_new_cluster_is_refused_where_the_edit_would_put_it(tmp_path: Path) -> None:
    spec = _spec(tmp_path, HAND_WRITTEN)
    broken = {**APP3, "network": {"nodeRange": "not-a-range", "serviceCIDR": "10.99.0.0/16"}}
    with pytest.raises(SpecError) as caught:
        add_cluster(spec, broken)
    problem = caught.value.problems[0]
    assert problem.field == "clusters[2].network.nodeRange"
    assert problem.location.file == f"{tmp_path / 'platform.yaml'} (with cluster app3 added)"


def test_removing_the_last_cluster_is_refused(tmp_path: Path) -> None:
    spec = _spec(tmp_path, HAND_WRITTEN)
    edit = remove_cluster(spec, "app1")
    path = tmp_path / "one.yaml"
    path.write_text(edit.text)
    with pytest.raises(InputError) as caught:
        remove_cluster(read_spec_text(path), "mgmt")
    assert caught.value.problems[0].field == "clusters[0].name"
    assert "only cluster" in caught.value.problems[0].message


def test_a_spec_that_is_not_a_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_spec_text(tmp_path)
    assert str(tmp_path) in str(caught.value)
    with pytest.raises(InputError):
        read_spec_text(tmp_path / "missing.yaml")


def test_bad_yaml_is_refused_by_the_safe_loader_first(tmp_path: Path) -> None:
    spec = _spec(tmp_path, HAND_WRITTEN.replace("kind: Platform", "kind: Platform\nkind: Other"))
    with pytest.raises(YamlError) as caught:
        add_cluster(spec, APP3)
    assert "duplicate" in str(caught.value)
    spec = _spec(tmp_path, "clusters: [\n", "broken.yaml")
    with pytest.raises(YamlError):
        remove_cluster(spec, "mgmt")


def _changed_blocks(old: str, new: str) -> list[tuple[str, int, int]]:
    """The line blocks that differ: (kind, lines of old, lines of new)."""
    matcher = difflib.SequenceMatcher(
        a=old.splitlines(keepends=True), b=new.splitlines(keepends=True), autojunk=False
    )
    return [(op, i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal"]


EXAMPLE_FILES = sorted(path.name for path in EXAMPLES.glob("*.yaml"))


@pytest.mark.parametrize("example", EXAMPLE_FILES)
def test_every_example_takes_an_edit_as_one_block_of_lines(tmp_path: Path, example: str) -> None:
    spec = _spec(tmp_path, (EXAMPLES / example).read_text())
    with_example_apis(spec.path)
    pools = [{**pool, "instanceType": "m6i.xlarge"} for pool in APP3["nodePools"]]
    added = add_cluster(spec, {**APP3, "nodePools": pools})
    # name, role, two pools one a line (the examples' style), network, labels: 13 lines
    assert _changed_blocks(spec.text, added.text) == [("insert", 0, 13)]
    clusters = load_spec_text(spec.text, folder=tmp_path).platform.clusters
    for cluster in clusters if len(clusters) > 1 else ():
        try:
            removed = remove_cluster(spec, cluster.name)
        except SpecError:  # a tenant or a service still names it: refused, as it should be
            continue
        [(kind, _, inserted)] = _changed_blocks(spec.text, removed.text)
        assert (kind, inserted) == ("delete", 0)
        assert f"- name: {cluster.name}\n" not in removed.text
