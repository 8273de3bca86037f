"""Where a dataset lives: a local folder, or a prefix in an object store (``s3://bucket/prefix``
and the other URIs delta-rs supports), with the storage options that reach it.

Storage options are delta-rs's (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_REGION``,
``AWS_ALLOW_HTTP`` ...). Those not given are taken from the environment variables of the same
names, as delta-rs does, so secrets need not be passed as parameters.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pyarrow.fs as pafs

_S3_OPTIONS = {
    "aws_endpoint_url": "endpoint_override",
    "aws_endpoint": "endpoint_override",
    "endpoint_url": "endpoint_override",
    "endpoint": "endpoint_override",
    "aws_access_key_id": "access_key",
    "access_key_id": "access_key",
    "aws_secret_access_key": "secret_key",
    "secret_access_key": "secret_key",
    "aws_session_token": "session_token",
    "aws_token": "session_token",
    "session_token": "session_token",
    "token": "session_token",
    "aws_region": "region",
    "region": "region",
    "aws_default_region": "default_region",
    "default_region": "default_region",
    "aws_skip_signature": "anonymous",
    "skip_signature": "anonymous",
    "aws_virtual_hosted_style_request": "force_virtual_addressing",
    "virtual_hosted_style_request": "force_virtual_addressing",
    "aws_allow_http": "allow_http",
    "allow_http": "allow_http",
}
"""delta-rs's S3 storage options (each name it accepts, lower-cased) and what each sets of
``pyarrow.fs.S3FileSystem`` (``default_region`` and ``allow_http`` are read by ``_s3``)."""

_FLAGS = ("anonymous", "force_virtual_addressing", "allow_http")
"""The options that are true or false (``"true"``, ``"1"`` ...)."""


@dataclass(frozen=True)
class Location:
    """The root of a dataset: ``root`` is an absolute local path or an object-store URI."""

    root: str
    storage_options: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, out: str | Path, storage_options: dict[str, str] | None = None) -> Location:
        text = str(out)
        if "://" in text and not text.startswith("file://"):
            return cls(text.rstrip("/"), _with_environment(storage_options or {}))
        return cls(str(Path(text.removeprefix("file://")).absolute()), dict(storage_options or {}))

    @property
    def is_local(self) -> bool:
        return "://" not in self.root

    @property
    def local_root(self) -> Path:
        """The local folder (only for a local dataset)."""
        if not self.is_local:
            raise ValueError(f"{self.root} is not a local folder")
        return Path(self.root)

    def uri(self, *parts: str) -> str:
        """The URI (or local path) of ``parts`` under the root."""
        return "/".join([self.root, *parts])

    def path(self, *parts: str) -> str:
        """The path of ``parts`` for :meth:`filesystem` (``bucket/prefix/...`` in a store)."""
        if self.is_local:
            return self.uri(*parts)
        parsed = urlparse(self.uri(*parts))
        return f"{parsed.netloc}{parsed.path}"

    def filesystem(self) -> pafs.FileSystem:
        """A pyarrow filesystem that reaches the dataset."""
        if self.is_local:
            return pafs.LocalFileSystem()
        if urlparse(self.root).scheme in ("s3", "s3a"):
            return _s3(self.storage_options)
        return pafs.FileSystem.from_uri(self.root)[0]

    def write_bytes(self, data: bytes, *parts: str) -> None:
        """Write ``data`` to ``parts`` under the root, whole or not at all (a local file is
        written under a temporary name and renamed; an object-store put is atomic)."""
        if self.is_local:
            from pressroom.dataset.files import atomic_path

            with atomic_path(Path(self.uri(*parts))) as temporary:
                temporary.write_bytes(data)
            return
        with self.filesystem().open_output_stream(self.path(*parts)) as stream:
            stream.write(data)

    def read_bytes(self, *parts: str) -> bytes | None:
        """The content of ``parts`` under the root; None when there is no such file."""
        try:
            with self.filesystem().open_input_stream(self.path(*parts)) as stream:
                return stream.read()
        except FileNotFoundError:
            return None

    def list(self, *parts: str) -> list[str]:
        """The names of the files directly in the folder ``parts`` (none if it is missing)."""
        selector = pafs.FileSelector(self.path(*parts), allow_not_found=True)
        infos = self.filesystem().get_file_info(selector)
        return sorted(info.base_name for info in infos if info.type == pafs.FileType.File)


def _with_environment(options: dict[str, str]) -> dict[str, str]:
    """``options`` with the AWS_* environment variables for the settings they do not make
    (delta-rs reads those itself; pyarrow's filesystem gets them from here). An option given
    under another of delta-rs's names for it (``endpoint`` for ``AWS_ENDPOINT_URL``) counts."""
    given = {_setting(key) for key in options}
    from_environment = {
        key: value
        for key, value in os.environ.items()
        if key.startswith("AWS_") and _setting(key) not in given
    }
    return {**from_environment, **options}


def _setting(key: str) -> str:
    """What the storage option ``key`` sets (its pyarrow argument, else its lower-cased name)."""
    return _S3_OPTIONS.get(key.lower(), key.lower())


def _s3(options: dict[str, str]) -> pafs.S3FileSystem:
    """An S3 filesystem configured like delta-rs by the same storage options: the endpoint's
    scheme (http only where the endpoint says so, or with ``AWS_ALLOW_HTTP`` when it names no
    scheme), the region (else the default region), the credentials, anonymous access and
    virtual-hosted addressing."""
    settings: dict[str, object] = {}
    for key, value in options.items():
        setting = _S3_OPTIONS.get(key.lower())
        if setting:
            settings[setting] = _flag(value) if setting in _FLAGS else value
    default_region = settings.pop("default_region", None)
    if default_region and "region" not in settings:
        settings["region"] = default_region
    allow_http = settings.pop("allow_http", False)
    endpoint = str(settings.get("endpoint_override", ""))
    if "://" in endpoint:
        scheme, _, address = endpoint.partition("://")
        settings["scheme"], settings["endpoint_override"] = scheme, address.rstrip("/")
    elif endpoint:
        settings["scheme"] = "http" if allow_http else "https"
    return pafs.S3FileSystem(**settings)


def _flag(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes", "on")
