"""Where a disconnected platform gets its charts, images and Git: the ``airgap`` section.

The section is optional, and a spec without it renders exactly what it rendered before
the section existed. With it, the render points everything the platform fetches at
servers inside the customer's network:

- ``registry``: the internal OCI registry, ``host[:port][/prefix]`` without a scheme
  (e.g. ``harbor.corp.internal/platform``). Argo CD pulls the charts from
  ``<registry>/charts``, and the nodes pull every image through it: the container
  runtime's mirror configuration maps each public registry to ``<registry>/<host>``, so
  no chart's image reference has to be rewritten.
- ``git``: the base URL of the internal Git server; the GitOps repository and every Git
  source move to ``<git>/<the repository's path>``.
- ``caFile``: the PEM CA that signed the certificates of both servers, relative to the
  spec's folder, read when the spec loads by the rules of the directories' CA files
  (:func:`stackyard.spec.specfiles.read_ca_certificates`: inside the folder,
  certificates only). The nodes and Argo CD trust it.
- ``plainHttp``: both servers speak plain HTTP. Refused unless set: an image or a chart
  pulled without TLS can be swapped by anyone on the path, so only a lab may say so.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from stackyard.errors import Problem
from stackyard.spec.base import SpecModel
from stackyard.spec.specfiles import RefusedFileError, read_ca_certificates
from stackyard.spec.text import Text
from stackyard.yamlio import LocatedDocument

_HOST = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?"
_PATH = r"(/[a-z0-9]+([._-][a-z0-9]+)*)*"
REGISTRY_PATTERN = f"^{_HOST}{_PATH}$"
"""An OCI reference's registry host (lower case, optional port) and repository prefix."""


class Airgap(SpecModel):
    """The internal registry and Git server an air-gapped platform uses instead of the internet."""

    registry: Text = Field(
        pattern=REGISTRY_PATTERN,
        max_length=255,
        description=(
            "The internal OCI registry as host[:port][/prefix], no scheme, e.g. "
            "harbor.corp.internal/platform: charts are pulled from <registry>/charts, "
            "images through <registry>/<public registry host>."
        ),
    )
    git: Text = Field(
        pattern=r"^https?://[^\s/@?#]+(/[^\s@?#]*)?$",
        max_length=2048,
        description=(
            "The internal Git server's base URL, e.g. https://git.corp.internal/platform: "
            "the GitOps repository moves to <git>/<its path>."
        ),
    )
    caFile: Text | None = Field(
        default=None,
        min_length=1,
        max_length=1024,
        description=(
            "PEM file of the CA that signed both servers' certificates, relative to the "
            "spec's folder; the nodes and Argo CD trust it. Certificates only, no key."
        ),
    )
    plainHttp: bool = Field(
        default=False,
        description=(
            "Both servers speak plain HTTP (a lab only: anything on the path can swap "
            "images and charts). Without it an http:// git URL is refused."
        ),
    )

    @model_validator(mode="after")
    def _transport_is_declared(self) -> Airgap:
        scheme = urlsplit(self.git).scheme
        if scheme == "http" and not self.plainHttp:
            raise ValueError(
                f"git {self.git} is plain HTTP: anyone on the path could change the "
                "platform's repository; use https, or set plainHttp: true in a lab"
            )
        if scheme == "https" and self.plainHttp:
            raise ValueError("plainHttp: true but git is https; say the same for both servers")
        if self.plainHttp and self.caFile is not None:
            raise ValueError("caFile is the CA of TLS servers; plainHttp: true has no TLS")
        return self

    @property
    def registry_host(self) -> str:
        """The registry's host[:port], without the prefix."""
        return self.registry.split("/", 1)[0]

    @property
    def charts_repository(self) -> str:
        """Where Argo CD pulls the charts: ``<registry>/charts`` (OCI, no scheme)."""
        return f"{self.registry}/charts"

    def git_url(self, url: str) -> str:
        """``url`` (a public Git repository) moved to the internal server: ``<git>/<path>``."""
        path = urlsplit(url).path.strip("/") if "://" in url else url.split(":", 1)[-1]
        return f"{self.git.rstrip('/')}/{path.strip('/')}"


def read_airgap_ca(
    airgap: Airgap | None, document: LocatedDocument, folder: Path | None
) -> tuple[str | None, list[Problem]]:
    """The CA certificates of ``airgap.caFile``, or the problem that keeps them out."""
    if airgap is None or airgap.caFile is None:
        return None, []
    try:
        return read_ca_certificates(airgap.caFile, folder), []
    except RefusedFileError as e:
        at = document.locate(("airgap", "caFile"))
        return None, [Problem(at, "airgap.caFile", str(e), e.hint)]
