"""Download tokens as the real API hands them out: JWT-shaped, short-lived, fresh on every GET, over HTTP."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from typer.testing import CliRunner

from exportctl.cli.app import app
from exportctl.sandbox import Sandbox, Timing

from .http_api import Api
from .test_sandbox_cli import read_banner, start, stop

SHORT_TTL = 0.5


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def _part(text: str) -> dict[str, Any]:
    return dict(json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))))


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def short_lived() -> Iterator[Sandbox]:
    timing = Timing(scheduled=0.01, in_progress=0.02, per_thousand_rows=0.0)
    with Sandbox(scale=0.01, timing=timing, token_ttl=SHORT_TTL) as running:
        yield running


def test_the_url_carries_a_signed_token_of_this_export_valid_15_minutes(api: Api, sandbox: Sandbox) -> None:
    done = api.wait(api.create("order")["id"])
    header, payload, signature = _token(done["result"]["url"]).split(".")
    assert _part(header) == {"alg": "HS256", "typ": "JWT"}
    claims = _part(payload)
    assert set(claims) == {"tenant", "exportId", "iat", "exp"}
    assert claims["exportId"] == done["id"] and claims["tenant"] == sandbox.app_id
    assert claims["exp"] - claims["iat"] == pytest.approx(15 * 60)
    assert abs(claims["iat"] - time.time()) < 60
    assert len(base64.urlsafe_b64decode(signature + "=")) == 32  # HMAC-SHA256


def test_every_get_and_the_list_mint_a_fresh_url_and_older_ones_still_work(api: Api) -> None:
    done = api.wait(api.create("order")["id"])
    time.sleep(0.01)
    again = api.get(f"/v1/exports/{done['id']}").json()["result"]["url"]
    time.sleep(0.01)
    listed = next(e for e in api.get("/v1/exports", params={"limit": 100}).json()["exports"] if e["id"] == done["id"])
    urls = [done["result"]["url"], again, listed["result"]["url"]]
    assert len(set(urls)) == 3
    issued = [_part(_token(url).split(".")[1])["iat"] for url in urls]
    assert issued == sorted(issued)
    bodies = {api.session.get(url, timeout=10).content for url in urls}
    assert len(bodies) == 1 and next(iter(bodies)).startswith(b"ID,")


def test_a_tampered_token_or_another_exports_token_is_unauthorized(api: Api) -> None:
    first = api.wait(api.create("order")["id"])
    second = api.wait(api.create("order")["id"])
    header, payload, signature = _token(first["result"]["url"]).split(".")
    base = f"{api.sandbox.base_url}/v1/exports/{first['id']}?token="
    longer = _b64({**_part(payload), "exp": _part(payload)["exp"] + 3600})
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    for forged in (f"{header}.{longer}.{signature}", f"{header}.{payload}.{flipped}", "a.b.c", "x", ""):
        api.error(api.session.get(base + forged, timeout=10), 401, "unauthorized")
    # The second export's valid token does not open the first export's file.
    other = _token(second["result"]["url"])
    error = api.error(api.session.get(base + other, timeout=10), 401, "unauthorized")
    assert "another export" in error["details"]


def test_an_expired_token_is_unauthorized_and_a_fresh_get_cures_it(short_lived: Sandbox) -> None:
    api = Api(short_lived)
    done = api.wait(api.create("voucher")["id"])
    url = done["result"]["url"]
    claims = _part(_token(url).split(".")[1])
    assert claims["exp"] - claims["iat"] == pytest.approx(SHORT_TTL)
    assert api.session.get(url, timeout=10).status_code == 200
    time.sleep(SHORT_TTL + 0.2)
    error = api.error(api.session.get(url, timeout=10), 401, "unauthorized")
    assert "expired" in error["details"]
    fresh = api.get(f"/v1/exports/{done['id']}").json()["result"]["url"]
    response = api.session.get(fresh, timeout=10)
    assert response.status_code == 200
    assert response.content == (short_lived.data_dir / f"{done['id']}.csv").read_bytes()


def test_token_ttl_must_be_positive() -> None:
    with pytest.raises(ValueError, match="token_ttl"):
        Sandbox(token_ttl=0)


def test_the_cli_option_shortens_the_token_lifetime() -> None:
    quick = ("--scheduled", "10ms", "--in-progress", "20ms", "--per-thousand-rows", "0")  # not 2.5 s per export
    process = start("--token-ttl", "30s", "--app-id", "ttl-app", "--secret-key", "ttl-key", *quick)
    try:
        banner = read_banner(process)
        base_url = re.search(r"VOUCHERIFY_API_BASE_URL=(\S+)", banner)
        assert base_url is not None, banner
        session = requests.Session()
        session.headers.update({"X-App-Id": "ttl-app", "X-App-Token": "ttl-key"})
        created = session.post(base_url.group(1) + "/v1/exports", json={"exported_object": "order"}, timeout=10)
        export_id = created.json()["id"]
        deadline = time.monotonic() + 20
        export = created.json()
        while export["status"] != "DONE" and time.monotonic() < deadline:
            time.sleep(0.05)
            export = session.get(f"{base_url.group(1)}/v1/exports/{export_id}", timeout=10).json()
        claims = _part(_token(export["result"]["url"]).split(".")[1])
        assert claims["exp"] - claims["iat"] == pytest.approx(30)
    finally:
        code, _, _ = stop(process)
    assert code == 0


@pytest.mark.parametrize("value", ["0", "soon", "-5s"])
def test_a_bad_token_ttl_is_a_usage_error(value: str) -> None:
    result = CliRunner().invoke(app, ["sandbox", "--port", "0", "--token-ttl", value])
    assert result.exit_code == 2, result.output
    assert "--token-ttl" in result.output
