"""Hostile and unusual file contents, generated at test time (nothing large is committed).

Two families: ``YAML_PAYLOADS`` attack the YAML reader itself (whatever the file is
for), ``SPEC_PAYLOADS`` are platform specs that are valid YAML but wrong or odd in a
field. Each is a name (the test id) and the bytes to write.
"""

from __future__ import annotations

from tests.conftest import EXAMPLES

BASE_SPEC = (EXAMPLES / "community-poc.yaml").read_text(encoding="utf-8")


def _spec(old: str, new: str) -> bytes:
    assert old in BASE_SPEC, old
    return BASE_SPEC.replace(old, new, 1).encode()


def _billion_laughs(levels: int = 10, width: int = 10) -> bytes:
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return ("\n".join(lines) + "\n").encode()


def _merge_bomb(levels: int = 25) -> bytes:
    lines = ["m0: &m0 {}"]
    for level in range(1, levels):
        lines.append(f"m{level}: &m{level} {{<<: [*m{level - 1}, *m{level - 1}]}}")
    return ("\n".join(lines) + "\n").encode()


def _deep_block_mapping(levels: int) -> bytes:
    return "".join(f"{'  ' * i}k{i}:\n" for i in range(levels)).encode() + b"  " * levels + b"x\n"


YAML_PAYLOADS: dict[str, bytes] = {
    "empty": b"",
    "only-comment": b"# nothing here\n",
    "null-document": b"null\n",
    "tilde": b"~\n",
    "scalar": b"just a string\n",
    "number": b"42\n",
    "list-root": b"- a\n- b\n",
    "empty-mapping": b"{}\n",
    "empty-flow-list": b"[]\n",
    "document-end-only": b"...\n",
    "two-documents": BASE_SPEC.encode() + b"---\n" + BASE_SPEC.encode(),
    "many-empty-documents": b"---\n" * 20_000,
    "deep-flow-list-50k": b"[" * 50_000 + b"]" * 50_000 + b"\n",
    "deep-flow-list-unclosed": b"[" * 60_000 + b"\n",
    "deep-flow-map-30k": b"{a: " * 30_000 + b"1" + b"}" * 30_000 + b"\n",
    "deep-block-seq-40k": b"- " * 40_000 + b"x\n",
    "deep-block-map-2k": _deep_block_mapping(2_000),
    "deep-flow-100": b"[" * 100 + b"]" * 100 + b"\n",
    "billion-laughs": _billion_laughs(),
    "alias-self-reference": b"a: &a [*a]\n",
    "merge-bomb": _merge_bomb(),
    "merge-of-scalar": b"a: &a 1\nb:\n  <<: *a\n",
    "undefined-alias": b"a: *nowhere\n",
    "redefined-anchor": b"a: &x 1\nb: *x\nc: &x 2\nd: *x\n",
    "python-tag": b"name: !!python/object/apply:os.system ['echo pwned']\n",
    "custom-tag": b"name: !Ref something\n",
    "binary-tag": b"name: !!binary aGVsbG8=\n",
    "set-tag": b"name: !!set {a, b}\n",
    "duplicate-keys": b"name: a\nname: b\n",
    "complex-key": b"? [a, b]\n: value\n",
    "nul-bytes": b"name: a\x00b\n",
    "binary-junk": bytes(range(256)) * 64,
    "latin-1": "name: café\n".encode("latin-1"),
    "utf-16-bom": "name: x\n".encode("utf-16"),
    "utf-8-bom": b"\xef\xbb\xbf" + BASE_SPEC.encode(),
    "crlf-line-ends": BASE_SPEC.replace("\n", "\r\n").encode(),
    "tabs-indent": b"name: x\nclusters:\n\t- name: a\n",
    "unclosed-quote": b'name: "never closed\n',
    "unclosed-flow": b"name: [a, b\n",
    "bad-indent": b"name: x\n  edition: community\n bad: 1\n",
    "syntax-error-mid-file": BASE_SPEC.encode() + b"\n: : : [\n",
    "invalid-timestamp": b"when: 2024-02-30\n",
    "impossible-timestamp": b"expires: 9999-99-99\n",
    "huge-int-400": b"n: " + b"9" * 400 + b"\n",
    "huge-int-5000": b"n: " + b"9" * 5_000 + b"\n",
    "huge-float": b"n: 1e99999\n",
    "yaml11-value-equals": b"matchType: =\n",
    "long-line-1mb": b"name: " + b"x" * (1 << 20) + b"\n",
    "wide-flow-list-1m": b"[" + b"{}," * 1_000_000 + b"]\n",
    "wide-list-redefined-anchor": b"a: &x 1\nb: &x 2\nc: [" + b"{}," * 1_000_000 + b"]\n",
    "many-keys-100k": b"".join(b"k%d: %d\n" % (i, i) for i in range(100_000)),
    "over-size-cap-5mb": b"# padding\n" * (512 * 1024),
    "control-characters": b"name: \x1b[31mred\x07\n",
    "unicode-line-separators": "name: a\u2028b\u2029c\u0085d\n".encode(),
    "surrogate-escape": b'name: "\\ud800"\n',
    "emoji-keys": "🙂: 1\nname: 🙃\n".encode(),
}

SPEC_PAYLOADS: dict[str, bytes] = {
    "valid-spec": BASE_SPEC.encode(),
    "unknown-edition": _spec("edition: community", "edition: platinum"),
    "edition-as-list": _spec("edition: community", "edition: [community]"),
    "name-as-mapping": _spec("name: community-poc", "name: {a: 1}"),
    "name-with-trailing-space": _spec("name: community-poc", 'name: "community-poc "'),
    "name-with-newline": _spec("name: community-poc", 'name: "community\\npoc"'),
    "name-unicode": _spec("name: community-poc", "name: plateforme-été"),
    "name-300-chars": _spec("name: community-poc", "name: " + "a" * 300),
    "domain-with-newline": _spec("domain: poc.example.internal", 'domain: "poc.example\\n"'),
    "domain-with-leading-space": _spec(
        "domain: poc.example.internal", 'domain: " poc.example.internal"'
    ),
    "domain-with-escape-code": _spec(
        "domain: poc.example.internal", 'domain: "poc\\e[31m.example"'
    ),
    "repo-url-with-credentials": _spec(
        "repoURL: https://git.example.internal/poc/platform.git",
        "repoURL: https://deploy:glpat-abcdefghijklmnop1234@git.example.internal/poc/platform.git",
    ),
    "repo-url-with-newline": _spec(
        "repoURL: https://git.example.internal/poc/platform.git",
        'repoURL: "https://git.example.internal/poc/platform.git\\n"',
    ),
    "gitops-path-escapes": _spec("path: .", "path: ../../etc"),
    "gitops-path-absolute": _spec("path: .", "path: /etc"),
    "gitops-path-control": _spec("path: .", 'path: "apps\\tx"'),
    "availability-inf": _spec("availability: 99", "availability: .inf"),
    "availability-nan": _spec("availability: 99", "availability: .nan"),
    "availability-negative": _spec("availability: 99", "availability: -5"),
    "availability-over-100": _spec("availability: 99", "availability: 250"),
    "availability-400-digits": _spec("availability: 99", "availability: " + "9" * 400),
    "rto-400-digits": _spec("rto: 4h", "rto: " + "9" * 400 + "h"),
    "rto-negative": _spec("rto: 4h", "rto: -4h"),
    "rto-zero": _spec("rto: 4h", "rto: 0s"),
    "rto-garbage": _spec("rto: 4h", "rto: soon"),
    "rpo-huge-float": _spec("rpo: 24h", "rpo: 1e400h"),
    "rpo-timestamp": _spec("rpo: 24h", "rpo: 2024-02-30"),
    "kubernetes-version-5000-digits": _spec('version: "1.35"', 'version: "1.' + "9" * 5000 + '"'),
    "kubernetes-version-arabic-digits": _spec('version: "1.35"', 'version: "١.٣٥"'),
    "kubernetes-version-newline": _spec('version: "1.35"', 'version: "1.35\\n"'),
    "count-negative": _spec("count: 3", "count: -3"),
    "count-zero": _spec("count: 3", "count: 0"),
    "count-huge": _spec("count: 3", "count: " + "9" * 30),
    "count-float": _spec("count: 3", "count: 2.5"),
    "count-inf": _spec("count: 3", "count: .inf"),
    "memory-negative": _spec("memory: 16Gi", "memory: -16Gi"),
    "memory-400-digits": _spec("memory: 16Gi", "memory: " + "9" * 400 + "Gi"),
    "memory-nan": _spec("memory: 16Gi", "memory: .nan"),
    "cpu-inf": _spec("cpu: 8", "cpu: .inf"),
    "disk-garbage": _spec("disk: 200Gi", "disk: lots"),
    "cidr-garbage": _spec("podCIDR: 10.42.0.0/16", "podCIDR: 10.42.0.0/99"),
    "cidr-ipv6-huge": _spec("podCIDR: 10.42.0.0/16", "podCIDR: '::/0'"),
    "range-reversed": _spec("nodeRange: 10.20.0.11-10.20.0.13", "nodeRange: 10.20.0.13-10.20.0.11"),
    "lb-pool-whole-internet": _spec(
        "loadBalancerPool: 10.20.0.200-10.20.0.220", "loadBalancerPool: 0.0.0.0-255.255.255.255"
    ),
    "no-clusters": _spec("clusters:", "clusters: []\nunused:"),
    "cluster-name-with-slash": _spec("  - name: poc", "  - name: ../poc"),
    "cluster-name-with-space": _spec("  - name: poc", '  - name: "poc "'),
    "unknown-top-level-key": _spec("domain:", "surprise: true\ndomain:"),
    "component-values-with-password": _spec(
        "clusters:",
        "components:\n  grafana:\n    values:\n      adminPassword: Sup3rS3cretPassw0rd!\n"
        "clusters:",
    ),
    "component-values-with-private-key": _spec(
        "clusters:",
        "components:\n  grafana:\n    values:\n      tls:\n        key: |\n"
        "          -----BEGIN RSA PRIVATE KEY-----\n"
        "          MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
        "          -----END RSA PRIVATE KEY-----\n"
        "clusters:",
    ),
    "component-values-with-aws-key": _spec(
        "clusters:",
        "components:\n  external-dns:\n    values:\n      env:\n"
        "        - {name: AWS_ACCESS_KEY_ID, value: AKIAIOSFODNN7EXAMPLE}\n"
        "        - {name: AWS_SECRET_ACCESS_KEY, value: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY}\n"
        "clusters:",
    ),
    "component-values-deep": _spec(
        "clusters:",
        "components:\n  grafana:\n    values: " + "{a: " * 60 + "1" + "}" * 60 + "\nclusters:",
    ),
    "200-clusters-same-subnet": _spec(
        "clusters:\n",
        "clusters:\n"
        + "".join(
            f"  - {{name: c{i}, role: standalone, nodePools: [{{name: s, role: control-plane, "
            f"count: 1, cpu: 2, memory: 4Gi, disk: 20Gi, schedulable: true}}], network: "
            f"{{nodeSubnet: 10.20.0.0/24, podCIDR: 10.42.0.0/16, serviceCIDR: 10.43.0.0/16}}}}\n"
            for i in range(200)
        ),
    ),
}
