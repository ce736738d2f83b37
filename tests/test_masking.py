"""Secrets and URL tokens never reach a person or a log in clear."""

from __future__ import annotations

from exportctl.masking import mask, mask_url


def test_download_token_is_masked() -> None:
    url = "https://download.voucherify.io/v1/exports/exp_1?token=abc.DEF-123_x"
    assert mask_url(url) == "https://download.voucherify.io/v1/exports/exp_1?token=***"


def test_token_among_other_parameters_and_in_text() -> None:
    text = "GET http://127.0.0.1:5000/dl/exp_1?a=1&token=s3cr3t&b=2 failed; retry http://h/x?TOKEN=zz#frag"
    assert (
        mask_url(text) == "GET http://127.0.0.1:5000/dl/exp_1?a=1&token=***&b=2 failed; retry http://h/x?TOKEN=***#frag"
    )


def test_other_parameters_untouched() -> None:
    url = "https://api.voucherify.io/v1/exports?limit=10&page=2&order=-created_at&mytoken_count=3"
    assert mask_url(url) == url


def test_secret_masked_everywhere_longest_first() -> None:
    text = "id=app-1 key=sk_live_abcdef and again sk_live_abcdef, prefix sk_live"
    assert mask(text, ["sk_live_abcdef", "sk_live"]) == "id=app-1 key=*** and again ***, prefix ***"


def test_short_or_missing_secrets_are_not_masked_inside_text() -> None:
    assert mask("a b c", ["a", "", None]) == "a b c"


def test_mask_also_masks_url_tokens() -> None:
    assert mask("see http://h/x?token=t1", []) == "see http://h/x?token=***"


def test_printable_takes_its_shortcut_only_for_texts_without_a_control_character() -> None:
    import re

    from exportctl import masking

    # printable() returns a text that str.isprintable() accepts unchanged, without its pattern: exact only
    # if no character of the pattern is printable. Checked over every code point.
    every = "".join(chr(point) for point in range(0x110000))
    controls = set(re.findall(masking._CONTROL, every))
    assert len(controls) > 2048 + 64  # the surrogates and the C0/C1 controls at least
    assert [char for char in controls if char.isprintable()] == []
    assert masking.printable("code\x1b[31m\u202e") == "code\\x1b[31m\\u202e"
    assert masking.printable("plain text, ünïcode") == "plain text, ünïcode"
    # The line and paragraph separators break a line for str.splitlines() and some terminals: escaped too.
    assert masking.printable("a\u2028b\u2029c") == "a\\u2028b\\u2029c"


def test_a_password_with_an_at_sign_is_masked_whole() -> None:
    """A URL parser ends the user info at the last `@` before the path: so does the mask."""
    assert mask_url("http://user:p@ss@host:8080/v1?x=1") == "http://***@host:8080/v1?x=1"
    assert mask_url("GET https://bob:a@b@c@api.example.com/x failed") == "GET https://***@api.example.com/x failed"
    text = "cannot reach http://u:pw@h1/a, then http://v:pw2@h2"
    assert mask_url(text) == "cannot reach http://***@h1/a, then http://***@h2"


def test_an_at_sign_in_a_path_or_outside_a_url_is_not_user_info() -> None:
    from exportctl.masking import mask_userinfo

    for text in ("https://registry.example.com/@scope/pkg", "mail me@example.com", "a@b://c"):
        assert mask_userinfo(text) == text
    assert mask_userinfo("HTTPS://K3Y@host") == "HTTPS://***@host"
