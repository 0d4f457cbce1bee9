"""A real S3-compatible HTTP server on loopback for the tests (moto's standalone server).

No MinIO or other S3 server is packaged here; moto's server speaks the S3 REST API over
HTTP on a loopback port, and boto3 talks to it as to any endpoint. Access control is off
until :meth:`ObjectStore.enforce_access` turns it on; then only IAM users it knows, with
a policy that allows the call, get through.
"""

from __future__ import annotations

import contextlib
import json
import logging
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
from moto.server import ThreadedMotoServer

if TYPE_CHECKING:
    from types_boto3_s3.client import S3Client

REGION = "us-east-1"
ADMIN = "testing"


@dataclass
class ObjectStore:
    """The running server and a client for it."""

    server: ThreadedMotoServer
    url: str

    def client(self) -> S3Client:
        """An S3 client of the store's administrator (any keys, while access is not enforced)."""
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ADMIN,
            aws_secret_access_key=ADMIN,
            config=botocore.config.Config(s3={"addressing_style": "path"}),
        )

    def iam(self) -> Any:
        return boto3.session.Session().client(
            "iam",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ADMIN,
            aws_secret_access_key=ADMIN,
        )

    def user_keys(self, name: str) -> tuple[str, str]:
        """An IAM user with no policy at all, and its access key."""
        self.iam().create_user(UserName=name)
        key = self.iam().create_access_key(UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]

    @contextlib.contextmanager
    def enforce_access(self) -> Iterator[None]:
        """Check every request's credentials and IAM policy while inside."""
        self._auth(b"0")
        try:
            yield
        finally:
            self._auth(b"inf")

    def _auth(self, after: bytes) -> None:
        request = urllib.request.Request(
            f"{self.url}/moto-api/reset-auth",
            data=after,
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.load(answer)["status"] == "ok"

    def stop(self) -> None:
        self.server.stop()


def start_object_store() -> ObjectStore:
    """The server on a free loopback port; its request log stays quiet."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return ObjectStore(server, f"http://{host}:{port}")
