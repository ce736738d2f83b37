import pytest

from exportctl.errors import UsageError
from exportctl.request.durations import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90.0),
        ("90s", 90.0),
        ("15m", 900.0),
        ("1h30m", 5400.0),
        ("2h", 7200.0),
        ("1d", 86400.0),
        ("500ms", 0.5),
        ("1h 30m", 5400.0),
        ("1.5h", 5400.0),
        (" 2M ", 120.0),
        ("1d2h3m4s5ms", 93784.005),
        ("0", 0.0),
    ],
)
def test_valid_forms(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "5x", "30m1h", "1h1h", "ms", "1e400", "9" * 400 + "d", "1h-5m", "١٢"])
def test_garbage_names_the_valid_forms(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_duration(text)
    assert f"Invalid duration '{text}'" in str(caught.value)
    assert "90s, 15m, 1h30m, 1d, 500ms" in str(caught.value)


def test_negative_durations_are_refused_with_the_reason() -> None:
    with pytest.raises(UsageError, match="cannot be negative"):
        parse_duration("-5m")
