"""Fixtures for datasets in an object store: an S3-compatible server (moto) on 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BUCKET = "pressroom-test"
MOTO_SERVER = str(Path(sys.executable).with_name("moto_server"))

AWS_VARIABLES = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_ALLOW_HTTP",
)
"""Environment variables that would reach an object store besides the options a test gives."""


@dataclass(frozen=True)
class S3:
    """A bucket on a local S3 server, and the delta-rs storage options that reach it."""

    bucket: str
    options: dict[str, str]

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}"

    @property
    def flags(self) -> list[str]:
        """The options as ``pressroom`` command-line arguments."""
        return [f"--storage-option={key}={value}" for key, value in self.options.items()]

    def objects(self, prefix: str = "") -> list[str]:
        """The keys of the bucket's objects under ``prefix``."""
        pages = (
            self.client()
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=prefix)
        )
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.options["AWS_ENDPOINT_URL"],
            aws_access_key_id=self.options["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.options["AWS_SECRET_ACCESS_KEY"],
            region_name=self.options["AWS_REGION"],
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, server: subprocess.Popen, timeout_s: float = 30) -> None:
    """Return once ``server`` accepts connections on ``port``; fail if it exits or is late."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"moto_server exited with status {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"moto_server did not listen on 127.0.0.1:{port} in {timeout_s} s")


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    """A moto S3 server on a free 127.0.0.1 port with an empty bucket, for the tests of one
    module (each writes under its own prefix); the AWS_* environment variables are cleared
    meanwhile, so that only the options a test gives count. The server is a process of its
    own (delta-rs holds the GIL during its requests: an in-process server would never answer
    them), stopped after."""
    port = _free_port()
    server = subprocess.Popen(
        [MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    store = S3(
        BUCKET,
        {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_ALLOW_HTTP": "true",
        },
    )
    try:
        _wait_for_port(port, server)
        with pytest.MonkeyPatch.context() as environment:
            for name in AWS_VARIABLES:
                environment.delenv(name, raising=False)
            store.client().create_bucket(Bucket=BUCKET)
            yield store
    finally:
        server.terminate()
        server.wait(timeout=30)
