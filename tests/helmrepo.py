"""A real Helm chart repository served over loopback: ``index.yaml`` plus chart archives.

The charts are small but real (``Chart.yaml``, ``values.yaml``, a template Helm renders),
packed as ``helm package`` packs them, and the index carries each archive's sha256 as
Helm writes it, so a client sees exactly what a public repository serves.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from tests.servers import serve_in_thread, stop_serving

TEMPLATE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-probe
  namespace: {{ .Release.Namespace }}
data:
  chart: {{ .Chart.Name | quote }}
  version: {{ .Chart.Version | quote }}
"""


def chart_archive(name: str, version: str) -> bytes:
    """A packaged chart ``name`` at ``version`` whose one template is a ConfigMap."""
    files = {
        f"{name}/Chart.yaml": yaml.safe_dump(
            {"apiVersion": "v2", "name": name, "version": version.removeprefix("v")}
        ),
        f"{name}/values.yaml": "{}\n",
        f"{name}/templates/configmap.yaml": TEMPLATE,
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass
class HelmRepository:
    """A served repository: its URL, folder, and every path clients asked for."""

    url: str
    folder: Path
    requests: list[str] = field(default_factory=list)

    def publish(
        self,
        charts: Iterable[tuple[str, str]],
        *,
        absolute_urls: bool = False,
        digests: dict[str, str] | None = None,
        content: dict[str, bytes] | None = None,
    ) -> None:
        """Write the archives and ``index.yaml`` of ``charts`` ((name, version) pairs).

        ``digests`` overrides the index digest of a chart by name; ``content`` replaces
        an archive's bytes (its index digest then matches the replacement).
        """
        entries: dict[str, list[dict[str, Any]]] = {}
        for name, version in charts:
            data = (content or {}).get(name) or chart_archive(name, version)
            archive = f"archives/{name}-{version}.tgz"
            (self.folder / "archives").mkdir(parents=True, exist_ok=True)
            (self.folder / archive).write_bytes(data)
            digest = (digests or {}).get(name) or hashlib.sha256(data).hexdigest()
            url = f"{self.url}/{archive}" if absolute_urls else archive
            entries.setdefault(name, []).append(
                {
                    "name": name,
                    "version": version.removeprefix("v"),
                    "urls": [url],
                    "digest": digest,
                }
            )
        index = {"apiVersion": "v1", "entries": entries}
        (self.folder / "index.yaml").write_text(yaml.safe_dump(index), encoding="utf-8")


@contextmanager
def helm_repository(folder: Path) -> Iterator[HelmRepository]:
    """Serve a repository at ``/charts`` of 127.0.0.1 (a free port) from ``folder/charts``."""
    (folder / "charts").mkdir(parents=True, exist_ok=True)
    seen: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def do_GET(self) -> None:
            seen.append(self.path)
            super().do_GET()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = serve_in_thread(server, "helm-repository")
    try:
        url = f"http://127.0.0.1:{server.server_port}/charts"
        yield HelmRepository(url, folder / "charts", seen)
    finally:
        stop_serving(server, thread)
