"""Fetch one pinned chart archive from where it is published: a Helm repository or OCI.

A Helm repository (``https://…``) publishes ``index.yaml``: per chart, its versions with
the archive's ``urls`` (relative to the repository or absolute) and ``digest`` (the
sha256 of the ``.tgz``). The archive is accepted only when its bytes have that digest.
An OCI registry (``oci://host/path``) stores a chart as the artifact
``host/path/<chart>:<version>`` whose one layer of media type
``application/vnd.cncf.helm.chart.content.v1.tar+gzip`` is the archive; its manifest
names the layer's digest, checked the same way. The registry is reached through the
client the push uses (:mod:`stackyard.delivery.registry_client`): HTTPS, a login
negotiated as the registry asks (basic or a bearer token) with the credentials of the
environment, and an optional CA file. Either way the bytes must be a
gzip'd tar holding ``<chart>/Chart.yaml`` of the chart asked for.

Policy: every failure (no answer, an HTTP error, a chart or version the index lacks, a
digest mismatch, content that is not a chart archive) is a :class:`ChartSourceError`
naming the chart and the URL; nothing is retried behind the user's back, so an
unreachable repository fails at once.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests
import urllib3
import yaml

from stackyard.delivery.registry_client import (
    RegistryClient,
    RegistryPushError,
    Target,
    credentials_from,
)
from stackyard.errors import StackyardError

HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
TIMEOUT_SECONDS = 60
# Generous for a chart (the largest common ones are a few MiB), small enough to refuse
# a server that streams something else without end.
MAX_ARCHIVE_BYTES = 256 * 1024 * 1024


class ChartSourceError(StackyardError):
    """A chart that cannot be fetched or is not what its source promised."""


@dataclass(frozen=True, order=True)
class ChartRef:
    """A pinned chart as Argo CD installs it: repository, chart name, version."""

    repo_url: str
    chart: str
    version: str

    def __str__(self) -> str:
        return f"{self.chart} {self.version} from {self.repo_url}"

    @property
    def is_oci(self) -> bool:
        """Whether the repository is an OCI registry rather than a Helm repository."""
        return self.repo_url.startswith("oci://") or "://" not in self.repo_url


@dataclass(frozen=True)
class FetchedChart:
    """A chart archive whose bytes were checked against the digest its source names."""

    data: bytes
    digest: str
    """``sha256:<hex>`` of ``data``."""
    url: str


def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def index_digest(ref: ChartRef, location: str, ca_file: Path | None = None) -> tuple[str, str]:
    """The archive URL and ``sha256:<hex>`` digest ``index.yaml`` at ``location`` names.

    Raises:
        ChartSourceError: the index cannot be fetched or read, or lacks the chart or version.
    """
    index_url = location.rstrip("/") + "/index.yaml"
    index = _parse_index(ref, index_url, _get(ref, index_url, ca_file).content)
    entries = (index.get("entries") or {}).get(ref.chart)
    if not isinstance(entries, list) or not entries:
        raise ChartSourceError(f"{ref}: the repository has no chart {ref.chart} ({index_url})")
    wanted = {ref.version, ref.version.removeprefix("v"), "v" + ref.version.removeprefix("v")}
    entry = next(
        (e for e in entries if isinstance(e, dict) and str(e.get("version")) in wanted), None
    )
    if entry is None:
        raise ChartSourceError(
            f"{ref}: the repository has no version {ref.version} of {ref.chart} ({index_url})"
        )
    urls = entry.get("urls") or []
    digest = str(entry.get("digest") or "")
    if not urls or not digest:
        raise ChartSourceError(f"{ref}: {index_url} names no archive URL or digest for it")
    return urljoin(location.rstrip("/") + "/", str(urls[0])), "sha256:" + digest.removeprefix(
        "sha256:"
    )


def locate(ref: ChartRef, location: str, ca_file: Path | None = None) -> tuple[str, str]:
    """Where ``ref``'s archive is and the ``sha256:<hex>`` digest its source names for it.

    ``location`` is the repository to ask (``ref.repo_url`` or a mirror of it): an OCI
    registry (``oci://…``) or a Helm repository. Only the index or the manifest is read.
    ``ca_file`` is a PEM bundle to trust instead of the system's.

    Raises:
        ChartSourceError: the source cannot be reached or does not list the chart.
    """
    if location.startswith("oci://") or "://" not in location:
        return _locate_in_oci(ref, location, ca_file)
    return index_digest(ref, location, ca_file)


def download(ref: ChartRef, url: str, digest: str, ca_file: Path | None = None) -> FetchedChart:
    """The archive at ``url`` (from :func:`locate`), refused unless it has ``digest``.

    Raises:
        ChartSourceError: it cannot be fetched, has another digest, or is no chart archive.
    """
    if url.startswith("oci://"):
        client, repository, _ = _oci(ref, url, ca_file)
        blob = f"{client.target.base_url}/v2/{repository}/blobs/{digest}"
        data = _oci_get(ref, url, client, blob, repository, {}).data
    else:
        data = _get(ref, url, ca_file).content
    return FetchedChart(_checked(ref, url, data, digest), digest, url)


def _locate_in_oci(ref: ChartRef, location: str, ca_file: Path | None) -> tuple[str, str]:
    url = f"oci://{location.removeprefix('oci://').rstrip('/')}/{ref.chart}:{ref.version}"
    client, repository, tag = _oci(ref, url, ca_file)
    manifest_url = f"{client.target.base_url}/v2/{repository}/manifests/{tag}"
    response = _oci_get(ref, url, client, manifest_url, repository, {"Accept": OCI_MANIFEST})
    try:
        manifest = json.loads(response.data)
    except ValueError as e:
        raise ChartSourceError(f"{ref}: {url} answered with no OCI manifest") from e
    layers = [
        layer
        for layer in (manifest.get("layers") if isinstance(manifest, dict) else None) or []
        if isinstance(layer, dict) and layer.get("mediaType") == HELM_CHART_LAYER
    ]
    if len(layers) != 1 or not str(layers[0].get("digest", "")).startswith("sha256:"):
        raise ChartSourceError(f"{ref}: {url} is not a Helm chart artifact")
    return url, str(layers[0]["digest"])


def _oci(ref: ChartRef, url: str, ca_file: Path | None) -> tuple[RegistryClient, str, str]:
    """The registry client, repository and tag of ``oci://HOST[:PORT]/REPOSITORY:TAG``."""
    reference = url.removeprefix("oci://")
    name, _, tag = reference.rpartition(":")
    host, _, repository = name.partition("/")
    if not host or not repository or not tag or "/" in tag:
        raise ChartSourceError(f"{ref}: {url} is not an OCI reference HOST/REPOSITORY:TAG")
    try:
        client = RegistryClient(
            Target(f"https://{host}", ""), credentials_from(os.environ), ca_file
        )
    except RegistryPushError as e:
        raise ChartSourceError(f"{ref}: {e}") from e
    return client, repository, tag


def _oci_get(
    ref: ChartRef,
    url: str,
    client: RegistryClient,
    address: str,
    repository: str,
    headers: dict[str, str],
) -> urllib3.BaseHTTPResponse:
    try:
        response = client.request("GET", address, repository, headers=headers)
    except RegistryPushError as e:
        raise ChartSourceError(f"{ref}: cannot pull {url}: {e}") from e
    except urllib3.exceptions.HTTPError as e:
        raise ChartSourceError(f"{ref}: cannot pull {url}: {_reason(e)}") from e
    if response.status != 200:
        raise ChartSourceError(f"{ref}: {url} answered HTTP {response.status}")
    return response


def _get(ref: ChartRef, url: str, ca_file: Path | None) -> requests.Response:
    verify: str | bool = str(ca_file) if ca_file else True
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS, stream=True, verify=verify)
        if response.status_code != 200:
            raise ChartSourceError(f"{ref}: {url} answered HTTP {response.status_code}")
        chunks, size = [], 0
        for chunk in response.iter_content(1024 * 1024):
            size += len(chunk)
            if size > MAX_ARCHIVE_BYTES:
                raise ChartSourceError(f"{ref}: {url} is larger than {MAX_ARCHIVE_BYTES} bytes")
            chunks.append(chunk)
        response._content = b"".join(chunks)
    except requests.RequestException as e:
        raise ChartSourceError(f"{ref}: cannot reach {url}: {_reason(e)}") from e
    return response


def _reason(error: Exception) -> str:
    """The last, most specific line of a requests error (not its nested repr chain)."""
    text = str(error).strip() or type(error).__name__
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "NameResolutionError" in text:
        return "host name not known"
    return text.splitlines()[-1][:200]


def _parse_index(ref: ChartRef, url: str, content: bytes) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        index = yaml.load(content, Loader=loader)
    except yaml.YAMLError as e:
        raise ChartSourceError(f"{ref}: {url} is not a Helm repository index: {e}") from e
    if not isinstance(index, dict) or "entries" not in index:
        raise ChartSourceError(f"{ref}: {url} is not a Helm repository index")
    return index


def _checked(ref: ChartRef, url: str, data: bytes, digest: str) -> bytes:
    """``data`` if it has ``digest`` and is an archive of chart ``ref.chart``."""
    found = sha256_digest(data)
    if found != digest:
        raise ChartSourceError(
            f"{ref}: {url} has digest {found}, the source promised {digest}; refused"
        )
    chart_name(ref, url, data)
    return data


def chart_name(ref: ChartRef, url: str, data: bytes) -> str:
    """The name in the archive's ``<chart>/Chart.yaml``.

    Raises:
        ChartSourceError: ``data`` is not a gzip'd tar holding a chart named ``ref.chart``.
    """
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            member = next(
                (
                    m
                    for m in archive.getmembers()
                    if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml")
                ),
                None,
            )
            stream = archive.extractfile(member) if member is not None and member.isfile() else None
            chart = yaml.safe_load(stream.read()) if stream is not None else None
    except (tarfile.TarError, OSError, EOFError, yaml.YAMLError) as e:
        raise ChartSourceError(f"{ref}: {url} is not a chart archive (.tgz): {e}") from e
    name = chart.get("name") if isinstance(chart, dict) else None
    if name != ref.chart.rsplit("/", 1)[-1]:
        found = f"chart {name!r}" if name else "no Chart.yaml"
        raise ChartSourceError(f"{ref}: {url} holds {found}, not a chart archive of {ref.chart}")
    return str(name)
