"""Configuration mistakes are one line on stderr naming the setting, exit code 2, no traceback;
credentials never appear in what the commands print."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import mask_url

runner = CliRunner()


def claimdesk(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Any:
    """Run the real entry point in a subprocess, as an operator would."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMDESK_")}
    full_env |= env or {}
    return subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=60,
    )


def assert_one_line_config_error(result: Any, *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize(
    ("url", "needles"),
    [
        ("not a url", ("CLAIMDESK_DATABASE_URL", "cannot parse")),
        ("mysql://root:hunter2@localhost/claims", ("CLAIMDESK_DATABASE_URL", "mysql")),
        (
            "postgresql+psycopg://postgres:s3cret@127.0.0.1:9/claimdesk",
            ("CLAIMDESK_DATABASE_URL", "cannot connect", "postgres:***@127.0.0.1:9"),
        ),
    ],
)
def test_bad_database_url_is_one_line_exit_2(url: str, needles: tuple[str, ...]) -> None:
    for command in (["db", "upgrade"], ["keys", "create", "--name", "x", "--role", "viewer"]):
        result = claimdesk(*command, env={"CLAIMDESK_DATABASE_URL": url})
        assert_one_line_config_error(result, *needles)
        assert "hunter2" not in result.stderr and "s3cret" not in result.stderr


def test_bad_setting_names_the_variable(tmp_path: Path) -> None:
    result = claimdesk("serve", env={"CLAIMDESK_ADMIN_KEY": "short"}, cwd=tmp_path)
    assert_one_line_config_error(result, "CLAIMDESK_ADMIN_KEY", "16 characters")


def test_serve_on_a_missing_sqlite_file_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "claimdesk.db"
    result = claimdesk(
        "serve", "--port", "18599", env={"CLAIMDESK_DATABASE_URL": f"sqlite:///{db}"}
    )
    assert_one_line_config_error(result, "No database at", str(db), "claimdesk db upgrade")
    assert not db.exists() and not db.parent.exists()
    # the default ./claimdesk.db in an empty directory: same, and the directory stays empty
    result = claimdesk("serve", cwd=tmp_path)
    assert_one_line_config_error(result, "No database at")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_empty_database_says_what_to_run(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    db.touch()
    result = claimdesk(
        "keys",
        "create",
        "--name",
        "x",
        "--role",
        "viewer",
        env={"CLAIMDESK_DATABASE_URL": f"sqlite:///{db}"},
    )
    assert result.returncode == 1
    assert "no Claimdesk tables yet" in result.stderr and "claimdesk db upgrade" in result.stderr
    assert "nothing" not in result.stderr


def test_db_upgrade_masks_the_password(tmp_path: Path, settings_env: pytest.MonkeyPatch) -> None:
    from tests.conftest import TEST_URL, is_postgres

    if not is_postgres():
        # SQLite URLs carry no password: check the masking of what is printed on a URL that has
        assert mask_url("postgresql+psycopg://postgres:s3cret@db:5432/x") == (
            "postgresql+psycopg://postgres:***@db:5432/x"
        )
        result = runner.invoke(cli, ["db", "upgrade"])
        assert result.exit_code == 0
        assert TEST_URL in result.output
        return
    from sqlalchemy.engine import make_url

    url = make_url(TEST_URL).set(password="s3cret-pw")  # trust auth: any password works
    rendered = url.render_as_string(hide_password=False)
    result = runner.invoke(cli, ["db", "upgrade", "--database-url", rendered])
    assert result.exit_code == 0, result.output
    assert "s3cret-pw" not in result.output and ":***@" in result.output


def test_bad_csv_header_for_evaluate_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "claims.csv"
    bad.write_text("object,property,value\n1,2,3\n")
    good_truth = tmp_path / "truth.csv"
    good_truth.write_text("ObjectID,PropertyID,PropertyValue\n1,2,3\n")
    result = claimdesk("reliability", "evaluate", "--claims", str(bad), "--truth", str(good_truth))
    assert_one_line_config_error(result, "--claims", "ObjectID", "missing")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = claimdesk("reliability", "evaluate", "--claims", str(empty), "--truth", str(bad))
    assert_one_line_config_error(result, "--claims", "empty file")


def test_version_and_database_url_on_every_command() -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("claimdesk ")
    from app import __version__

    assert __version__ in result.output
    import typer

    group = typer.main.get_command(cli)

    def leaves(cmd: Any, prefix: str = "") -> list[tuple[str, Any]]:
        subs = getattr(cmd, "commands", None)
        if not subs:
            return [(prefix, cmd)]
        return [leaf for name, sub in subs.items() for leaf in leaves(sub, f"{prefix} {name}")]

    commands = leaves(group)
    assert len(commands) >= 11
    for name, command in commands:
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        assert "--database-url" in options, name


def test_export_format_is_a_choice() -> None:
    result = runner.invoke(cli, ["export", "--format", "xml"])
    assert result.exit_code == 2
    assert "ndjson" in result.output and "csv" in result.output
