"""The suite's quick first poll (tests/conftest.py) and the `default_polling` marker that opts out of it."""

from __future__ import annotations

import os

import pytest

from exportctl.settings import resolve_settings
from exportctl.tuning import DEFAULT_POLL_INTERVAL, ENV_POLL_INTERVAL
from tests.conftest import TEST_POLL_INTERVAL


def test_every_test_polls_quickly_unless_marked() -> None:
    assert os.environ[ENV_POLL_INTERVAL] == TEST_POLL_INTERVAL
    assert (
        resolve_settings(app_id="a", app_token="b").poll_interval == float(TEST_POLL_INTERVAL) < DEFAULT_POLL_INTERVAL
    )


@pytest.mark.default_polling
def test_a_test_marked_default_polling_gets_the_products_schedule() -> None:
    assert ENV_POLL_INTERVAL not in os.environ
    assert resolve_settings(app_id="a", app_token="b").poll_interval == DEFAULT_POLL_INTERVAL
