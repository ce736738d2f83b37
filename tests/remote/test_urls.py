"""Bucket URLs are hostile input: every malformed one is refused offline, naming the valid forms."""

from __future__ import annotations

import pytest

from exportctl.errors import ValidationError
from exportctl.remote.urls import RemoteUrl, is_remote, parse_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("s3://my-bucket/exports/a.csv", RemoteUrl("s3", "my-bucket", "exports/a.csv")),
        ("gs://my.bucket_1/a.csv", RemoteUrl("gs", "my.bucket_1", "a.csv")),
        ("az://container-1/dir/{object}-{id}.csv", RemoteUrl("az", "container-1", "dir/{object}-{id}.csv")),
        ("s3://b12/ü nicode key.csv", RemoteUrl("s3", "b12", "ü nicode key.csv")),
    ],
)
def test_valid_urls_parse(text: str, expected: RemoteUrl) -> None:
    assert parse_url(text) == expected
    assert str(parse_url(text)) == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("s3:///key.csv", "bucket name is empty"),
        ("s3://bucket", "key"),
        ("s3://bucket/", "key"),
        ("s3://bucket/../etc/passwd", "'..'"),
        ("s3://bucket/a/./b.csv", "'..'"),
        ("s3://bucket/a//b.csv", "empty"),
        ("s3://bucket/a.csv?versionId=1", "query string"),
        ("s3://bucket/a.csv#frag", "query string"),
        ("s3://bucket/a\x1b[31m.csv", "control characters"),
        ("s3://bucket/a\nb.csv", "control characters"),
        ("s3://bucket/a\u202eb.csv", "control characters"),
        ("s3://user:secret@bucket/a.csv", "credentials"),
        ("s3://bucket:9000/a.csv", "credentials and ports"),
        ("s3://Bucket/a.csv", "not a valid bucket name"),
        ("s3://ab/a.csv", "not a valid bucket name"),
        ("s3://a..b/a.csv", "not a valid bucket name"),
        ("s3://{object}/a.csv", "template"),
        ("az://my_container/a.csv", "not a valid container name"),
        ("S3://bucket/a.csv", "lower case"),
        ("s3://bucket/~/a.csv", "'~'"),
        ("s3://bucket/a\\b.csv", "backslash"),
        ("s3://bucket/" + "k" * 1100, "1024 bytes"),
        ("ftp://bucket/a.csv", "scheme"),
    ],
)
def test_hostile_urls_are_refused_naming_the_valid_forms(text: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_url(text)
    message = str(caught.value)
    assert reason in message
    assert "s3://BUCKET/KEY, gs://BUCKET/KEY, az://CONTAINER/KEY" in message
    assert "\x1b" not in message and "\n" not in message and "\u202e" not in message


def test_a_prefix_may_be_the_bucket_itself_or_end_with_a_slash() -> None:
    assert parse_url("s3://bucket", prefix=True) == RemoteUrl("s3", "bucket", "")
    assert parse_url("s3://bucket/dir/", prefix=True).child("a.csv") == RemoteUrl("s3", "bucket", "dir/a.csv")
    assert parse_url("s3://bucket", prefix=True).child("a.csv") == RemoteUrl("s3", "bucket", "a.csv")


def test_only_the_three_schemes_count_as_remote() -> None:
    assert is_remote("s3://b/k") and is_remote("gs://b/k") and is_remote("az://b/k") and is_remote("S3://b/k")
    assert not is_remote("exports/s3:/b") and not is_remote("file:///tmp/a.csv") and not is_remote(None)
