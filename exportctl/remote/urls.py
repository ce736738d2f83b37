"""Bucket URLs: `s3://bucket/key`, `gs://bucket/key`, `az://container/key`, checked before anything is sent.

A URL is hostile input like any path: an empty or malformed bucket, a `.` or `..` key component (which some
stores and every local mirror of the bucket resolve), control characters, a query string or fragment (which
some tools read as options) and user info are refused with a message naming the valid forms. Templates
(`{object}`, `{id}`, `{date}`, `{time}`) may appear in the key, never in the bucket.

Standard library only: `exportctl --help` and every local export import this module without obstore.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from exportctl.errors import ValidationError
from exportctl.masking import printable

# The schemes and the cloud each one names, in the order messages list them.
SCHEMES = {"s3": "Amazon S3 (or an S3-compatible store)", "gs": "Google Cloud Storage", "az": "Azure Blob Storage"}
VALID_FORMS = ("s3://BUCKET/KEY", "gs://BUCKET/KEY", "az://CONTAINER/KEY")
# S3 and GCS bucket names: 3-63 (GCS: up to 222 with dots) lower-case letters, digits, dots, hyphens and (GCS)
# underscores, starting and ending with a letter or digit. Azure containers: 3-63, letters, digits, hyphens.
_BUCKET = {
    "s3": r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
    "gs": r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]",
    "az": r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}",
}
# The longest key every one of the three stores takes, in UTF-8 bytes.
MAX_KEY_BYTES = 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


class RemoteUrl(NamedTuple):
    """One object (or, for --output-dir, a prefix): the scheme, the bucket or container, and the key.

    A NamedTuple: a dry run creates no dataclass (tests/test_lazy_imports.py).
    """

    scheme: str
    bucket: str
    key: str

    def __str__(self) -> str:
        return f"{self.scheme}://{self.bucket}/{self.key}"

    @property
    def bucket_url(self) -> str:
        return f"{self.scheme}://{self.bucket}"

    def child(self, name: str) -> RemoteUrl:
        """The object `name` under this prefix (`s3://b/exports` + `a.csv` -> `s3://b/exports/a.csv`)."""
        prefix = self.key.rstrip("/")
        return RemoteUrl(self.scheme, self.bucket, f"{prefix}/{name}" if prefix else name)


def is_remote(text: str | None) -> bool:
    """Whether `text` names a bucket (`s3://`, `gs://`, `az://`), however well-formed: parse it to check."""
    if text is None:
        return False
    scheme, sep, _rest = text.partition("://")
    return bool(sep) and scheme.lower() in SCHEMES


def parse_url(text: str, *, what: str = "--output", prefix: bool = False) -> RemoteUrl:
    """`text` as a RemoteUrl; ValidationError naming the valid forms for anything a store could misread.

    With `prefix` (an --output-dir), the key may be empty (the bucket's top) or end with `/`.
    """
    shown = printable(text)

    def refuse(problem: str) -> ValidationError:
        return ValidationError(
            f"{what} {shown!r} is not a bucket URL exportctl writes to: {problem}.", valid=VALID_FORMS
        )

    scheme, sep, rest = text.partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        raise refuse(f"the scheme must be one of {', '.join(s + '://' for s in SCHEMES)}")
    if scheme != scheme.lower():
        raise refuse(f"write the scheme in lower case ({scheme.lower()}://)")
    if _CONTROL.search(text) or not text.isprintable():
        raise refuse("it contains control characters")
    if "?" in rest or "#" in rest:
        raise refuse("a query string or fragment is not part of an object's name")
    if "\\" in rest:
        raise refuse("a backslash is not a path separator in a bucket")
    bucket, _slash, key = rest.partition("/")
    if "@" in bucket or ":" in bucket:
        raise refuse("credentials and ports do not belong in the URL (see the README's 'Exports in a bucket')")
    if not bucket:
        raise refuse("the bucket name is empty")
    if "{" in bucket or "}" in bucket:
        raise refuse("the bucket name cannot be a template; templates go in the key")
    if re.fullmatch(_BUCKET[scheme], bucket) is None or ".." in bucket:
        kind = "container" if scheme == "az" else "bucket"
        raise refuse(f"{bucket!r} is not a valid {kind} name (3-63 lower-case letters, digits and hyphens)")
    parts = key.split("/")
    if prefix and key.endswith("/"):
        parts = parts[:-1]
    if not key and not prefix:
        raise refuse("the key (the object's name after the bucket) is empty")
    if key and any(part in ("", ".", "..") for part in parts):
        raise refuse("a key's components cannot be empty, '.' or '..'")
    if key.startswith("~"):
        raise refuse("a key cannot start with '~'")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise refuse(f"the key is longer than {MAX_KEY_BYTES} bytes")
    return RemoteUrl(scheme, bucket, key.rstrip("/") if prefix else key)
