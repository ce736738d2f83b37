"""Property-based tests of the CLI itself: any --filter / --fields / --order text given to any export command
with --dry-run ends in the request body (exit 0) or one validation message (exit 2), never a traceback; and
every body it accepts is one the API documents: it conforms to the OpenAPI request schema of the endpoint the
dry run names (tests/request/request_schema.py), the per-resource ones for --voucher, --campaign and --member.

tests/request/test_fuzz_params.py fuzzes the parser functions; this drives the same inputs through Typer's parsing,
the option callbacks and the error rendering. Bounded (100 examples each) so it runs in the default suite.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from exportctl.cli.app import app
from exportctl.errors import ExitCode
from exportctl.schema import EXPORT_OBJECTS, ExportObject
from tests.request.request_schema import conformance
from tests.request.test_fuzz_params import conditions, expressions, field_names

BOUNDED = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
OBJECTS = st.sampled_from(EXPORT_OBJECTS)
# Text as a shell would pass it: anything but NUL, which no argv can hold.
ARGUMENT = st.text(st.characters(blacklist_characters="\x00"), max_size=40)


def dry_run(obj: ExportObject, *options: str) -> None:
    result = CliRunner().invoke(app, [obj.command, "--dry-run", *options])
    # SystemExit is how Typer ends every run; anything else escaped the error handling.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in (ExitCode.OK, ExitCode.USAGE), (options, result.exit_code, result.output)
    if result.exit_code == ExitCode.OK:
        body = json.loads(result.stdout)
        (endpoint,) = [line.split()[1] for line in result.stderr.splitlines() if line.startswith("POST ")]
        assert conformance(endpoint, body) == [], (options, endpoint, body)
    else:
        assert result.stderr.strip(), "a refused option needs a message"


@given(OBJECTS, st.lists(ARGUMENT, max_size=3), st.lists(ARGUMENT, max_size=2))
@BOUNDED
def test_any_filter_and_fields_text_is_a_body_or_exit_2(obj: ExportObject, filters: list[str], fields: list[str]):
    options = [part for text in filters for part in ("--filter", text)]
    options += [part for text in fields for part in ("--fields", text)]
    dry_run(obj, *options)


def scope_options(draw: st.DrawFn, obj: ExportObject) -> list[str]:
    """Sometimes a per-resource export: the body goes to the scope's endpoint, under that endpoint's schema."""
    if not obj.scopes or not draw(st.booleans()):
        return []
    scope = draw(st.sampled_from(obj.scopes))
    options = [f"--{scope.option}", draw(st.sampled_from(["GC-1", "camp_x", "LC 1/2", "mem_1"]))]
    return [*options, f"--{scope.along}", "camp_y"] if scope.along else options


@st.composite
def plausible_options(draw: st.DrawFn) -> tuple[ExportObject, list[str]]:
    """Options built from real names and grammar pieces, so that validation goes past the first check."""
    obj, expression = draw(expressions())
    names = [*field_names(obj), *obj.field_names, "metadata.k", "nope"]
    fields = ",".join(draw(st.lists(st.sampled_from(names), min_size=1, max_size=4)))
    options = ["--filter", expression, "--fields", fields]
    if draw(st.booleans()):
        options += ["--order", draw(st.sampled_from([*obj.orders, "-nope", ""]))]
    if draw(st.booleans()):
        options += ["--junction", draw(st.sampled_from(["and", "or", "xor"]))]
    return obj, options + scope_options(draw, obj)


@given(plausible_options())
@BOUNDED
def test_grammar_like_options_are_a_body_or_exit_2(case: tuple[ExportObject, list[str]]) -> None:
    obj, options = case
    dry_run(obj, *options)


@st.composite
def valid_options(draw: st.DrawFn) -> tuple[ExportObject, list[str]]:
    """Options that are mostly right (real fields, orders and well-formed conditions), so most runs are accepted
    and their bodies reach the conformance check; scopes included."""
    obj, condition = draw(conditions())
    options = ["--filter", condition.to_expression()]
    names = [*obj.field_names, *(f"{prefix}k" for prefix in obj.field_prefixes)]
    if draw(st.booleans()):
        options += ["--fields", ",".join(draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True)))]
    if draw(st.booleans()):
        options += ["--order", draw(st.sampled_from(obj.orders))]
    if draw(st.booleans()):
        options += ["--junction", draw(st.sampled_from(["and", "or", "AND", "OR"]))]
    return obj, options + scope_options(draw, obj)


@given(valid_options())
@BOUNDED
def test_every_accepted_body_is_one_the_api_documents(case: tuple[ExportObject, list[str]]) -> None:
    obj, options = case
    dry_run(obj, *options)
