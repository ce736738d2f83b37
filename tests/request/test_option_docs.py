"""The text generated from the option table is what the repository holds: the README's table, ExportOptions."""

from __future__ import annotations

import subprocess
import sys

from exportctl.request import option_docs


def test_the_readme_option_table_is_the_generated_one() -> None:
    readme = option_docs.README.read_text(encoding="utf-8")
    assert option_docs.readme_with_table(readme) == readme, (
        "README.md's option table differs from the option table: run python -m exportctl.request.option_docs --write"
    )


def test_export_options_is_the_generated_module() -> None:
    assert option_docs.EXPORT_OPTIONS.read_text(encoding="utf-8") == option_docs.typed_dict_source(), (
        "exportctl/request/export_options.py differs from the option table: "
        "run python -m exportctl.request.option_docs --write"
    )


def test_the_generator_prints_the_table() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "exportctl.request.option_docs", "--markdown"], capture_output=True, text=True
    )
    assert shown.returncode == 0
    assert shown.stdout == option_docs.markdown_table()
    assert "| `--campaign ID` | `parameters.campaign_id` | `campaign_id` |" in shown.stdout
    refused = subprocess.run([sys.executable, "-m", "exportctl.request.option_docs"], capture_output=True, text=True)
    assert refused.returncode == 2 and "usage:" in refused.stderr
