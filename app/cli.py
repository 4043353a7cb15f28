"""The ``claimdesk`` command."""

from __future__ import annotations

import csv
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import orjson
import typer
import typer.core

from app import __version__
from app.config import ConfigError, get_settings, mask_url
from app.enums import Role

CONFIG_EXIT = 2  # exit code for a wrong setting or input file: the message says what to fix


class _Commands(typer.core.TyperGroup):
    """The command group: a ConfigError raised anywhere below becomes one line on stderr and
    exit code 2 (no traceback), for every way the CLI is invoked."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            typer.echo(f"claimdesk: {exc}", err=True)
            raise typer.Exit(code=CONFIG_EXIT) from None


cli = typer.Typer(
    help="Claimdesk: who said what, and when, about news incidents.",
    no_args_is_help=True,
    cls=_Commands,
)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_cli = typer.Typer(help="The Camp Taji demo data set.", no_args_is_help=True)
keys_cli = typer.Typer(help="API keys.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(demo_cli, name="demo")
cli.add_typer(keys_cli, name="keys")
reliability_cli = typer.Typer(help="Learned source reliability.", no_args_is_help=True)
cli.add_typer(reliability_cli, name="reliability")


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"claimdesk {__version__}")
        raise typer.Exit()


@cli.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit"
        ),
    ] = False,
) -> None:
    """Claimdesk: who said what, and when, about news incidents."""


DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Database URL for this command (default: CLAIMDESK_DATABASE_URL)",
        show_default=False,
    ),
]


def _use_database(url: str | None) -> None:
    """Point this command (and processes it starts) at ``url`` instead of the setting."""
    if url is None:
        return
    from app.db import parse_database_url, reset_engine

    parse_database_url(url)
    os.environ["CLAIMDESK_DATABASE_URL"] = url
    get_settings.cache_clear()
    reset_engine()


@db_cli.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
    database_url: DatabaseUrl = None,
) -> None:
    """Apply the Alembic migrations (creates the database if it is a new SQLite file)."""
    from alembic import command
    from sqlalchemy.exc import DBAPIError

    from app.db import alembic_config, connection_error, get_engine

    _use_database(database_url)
    url = get_settings().database_url
    try:
        get_engine().connect().close()  # a wrong URL or a closed port: one line, exit 2
    except DBAPIError as exc:
        raise connection_error(url, exc) from None
    command.upgrade(alembic_config(), revision)
    typer.echo(f"database at {revision}: {mask_url(url)}")


@db_cli.command("current")
def db_current(database_url: DatabaseUrl = None) -> None:
    """Show the schema revision of the database and of the code."""
    from app.db import (
        SQLITE_PAGE_SIZE,
        get_engine,
        missing_sqlite_file,
        schema_status,
        sqlite_page_size,
    )

    _use_database(database_url)
    missing = missing_sqlite_file(get_settings().database_url)
    if missing is not None:
        raise ConfigError(f"No database at {missing}: create it with `claimdesk db upgrade`")
    current, head = schema_status(get_engine())
    typer.echo(f"database: {current or 'empty'}  code: {head}")
    pages = sqlite_page_size(get_engine())
    if pages is not None and pages != SQLITE_PAGE_SIZE:
        typer.echo(
            f"SQLite pages: {pages} bytes (a database made now gets {SQLITE_PAGE_SIZE}, which "
            "imports large files faster; docs/operations.md shows the one-off conversion)"
        )


def _check_schema(database_url: str | None = None) -> None:
    """Use ``database_url`` if given, then refuse to go on unless the schema is at head."""
    from app.db import SchemaOutOfDate, check_schema, get_engine

    _use_database(database_url)
    try:
        check_schema(get_engine())
    except SchemaOutOfDate as exc:
        raise _fail(str(exc)) from exc


@demo_cli.command("load")
def demo_load(database_url: DatabaseUrl = None) -> None:
    """Load the Camp Taji demo (records already present are left as they are)."""
    from app.db import session_scope
    from app.demo.service import camp_taji_id, load_demo

    _check_schema(database_url)
    with session_scope() as session:
        report = load_demo(session)
        incident = camp_taji_id(session)
    typer.echo(f"demo loaded: created {report.created}, unchanged {report.unchanged}")
    typer.echo(f"Camp Taji incident: /v1/incidents/{incident}/claims")


@keys_cli.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key")],
    role: Annotated[Role, typer.Option(help="viewer, editor or admin")],
    database_url: DatabaseUrl = None,
) -> None:
    """Create an API key; the key is printed alone on the last line (shown only once)."""
    from app.db import session_scope
    from app.keys.service import create_key

    _check_schema(database_url)
    with session_scope() as session:
        key, secret = create_key(session, name, role)
        typer.echo(f"created {role.value} key {key.id} ({name}); store it now, it is not kept:")
    typer.echo(secret)


Quiet = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="No progress bar (also off when stderr is not a terminal)"),
]
Json = Annotated[bool, typer.Option("--json", help="Print the report as one JSON object")]


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class _ProgressReader:
    """Yields the file's lines while advancing a progress bar by bytes. Nothing is kept per
    line (memory stays flat whatever the file's size): when an import fails, :meth:`locate`
    reads the file again to find where the lines named by JSON errors start, so
    :meth:`where` can name the error's byte offset in the file."""

    def __init__(self, fh: BinaryIO, advance: Callable[[int], None], path: Path) -> None:
        self.fh = fh
        self.advance = advance
        self.path = path
        self.starts: dict[int, int] = {}

    def __iter__(self) -> Iterator[bytes]:
        for line in self.fh:
            self.advance(len(line))
            yield line

    def locate(self, errors: Iterable[tuple[int | None, str]]) -> None:
        """Find where the lines of the JSON errors among ``errors`` (line, detail) start."""
        wanted = {n for n, detail in errors if n and _JSON_POSITION.search(detail)}
        if not wanted:
            return
        last, offset = max(wanted), 0
        with self.path.open("rb") as fh:
            for number, line in enumerate(fh, start=1):
                if number in wanted:
                    self.starts[number] = offset
                if number >= last:
                    break
                offset += len(line)

    def where(self, line: int | None, detail: str) -> str:
        """``line N`` or, for a JSON decode error, ``line N, byte B`` (0-based in the file)."""
        if line is None:
            return "file"
        start = self.starts.get(line)
        match = _JSON_POSITION.search(detail)
        if start is None or match is None:
            return f"line {line}"
        return f"line {line}, byte {start + int(match.group(1))}"


_JSON_POSITION = re.compile(r"\(char (\d+)\)")


@cli.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    quiet: Quiet = False,
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Import an NDJSON file of sources, actors, incidents and claims (all-or-nothing).
    Shows a progress bar on a terminal and ends with one summary line."""
    from app.db import CHECKPOINTS, session_scope
    from app.errors import ClaimdeskError, ValidationFailed
    from app.imports.service import import_records
    from app.principal import OPERATOR
    from app.progress import progress_bar

    _check_schema(database_url)
    size = path.stat().st_size
    started = time.perf_counter()
    failed: ValidationFailed | None = None
    refused: ClaimdeskError | None = None
    with progress_bar(f"importing {path.name}", quiet=quiet, in_bytes=True) as bar:
        bar.total(size)
        try:
            with session_scope() as session, path.open("rb") as fh:
                reader = _ProgressReader(fh, bar.advance, path)
                report = import_records(session, reader, OPERATOR)
        except ValidationFailed as exc:
            failed = exc
        except ClaimdeskError as exc:  # a conflict with the database as it is: one line
            refused = exc
    if refused is not None:
        raise _fail(f"{path}: {refused.detail or refused.title}") from refused
    if failed is not None:  # printed once the bar is gone
        reader.locate((e.line, e.detail) for e in failed.errors or [])
        for e in failed.errors or []:
            where = reader.where(e.line, e.detail)
            typer.echo(f"{where}: {e.pointer or '/'}: {e.detail}", err=True)
        raise _fail(f"{path}: {failed.detail or 'import failed'}") from failed
    try:
        if report.lines == 0 and not report.created and not report.unchanged:
            typer.echo(f"{path} is empty: nothing to import")
            return
        if as_json:
            typer.echo(orjson.dumps(report.model_dump()).decode())
            return
        created = ", ".join(_plural(n, kind) for kind, n in report.created.items()) or "nothing new"
        unchanged = sum(report.unchanged.values())
        typer.echo(
            f"imported {path.name}: created {created}; {unchanged:,} already present; "
            f"{report.lines:,} lines in {time.perf_counter() - started:.1f} s"
        )
    finally:
        CHECKPOINTS.wait()  # the WAL copied into the database file before the process ends


@reliability_cli.command("recompute")
def reliability_recompute(
    quiet: Quiet = False, as_json: Json = False, database_url: DatabaseUrl = None
) -> None:
    """Learn every source's reliability from the whole corpus and store it."""
    from app.db import session_scope
    from app.progress import progress_bar
    from app.reliability.service import recompute

    _check_schema(database_url)
    with progress_bar("learning source reliability", quiet=quiet), session_scope() as session:
        report = recompute(session)
    if as_json:
        typer.echo(orjson.dumps(report.model_dump()).decode())
        return
    typer.echo(
        f"learned the reliability of {_plural(report.sources, 'source')} from "
        f"{_plural(report.claims, 'claim')} ({_plural(report.items, 'item')}) "
        f"in {report.seconds:.1f} s"
    )


@reliability_cli.command("evaluate")
def reliability_evaluate(
    claims: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Claims CSV")],
    truth: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Ground truth CSV")],
    hierarchy: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, help="Value hierarchy CSV (columns value,parent)"
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Measure the engine against ground truth (CSV: ObjectID,PropertyID,PropertyValue,
    SourceID[,TimeStamp]); prints one JSON object: accuracy, ECE, majority vote's, a 10-bin
    reliability table and the Spearman correlation of learned vs empirical source accuracy.
    Reads only the files (``--database-url`` is accepted for symmetry and ignored)."""
    from app.confidence.evaluate import evaluate_csv

    _require_csv_header("--claims", claims, CLAIMS_COLUMNS)
    _require_csv_header("--truth", truth, TRUTH_COLUMNS)
    try:
        result = evaluate_csv(claims, truth, hierarchy)
    except (KeyError, ValueError, IndexError, csv.Error) as exc:
        raise ConfigError(
            f"--claims {claims} / --truth {truth}: unreadable benchmark CSV ({exc!s}); "
            "expected the columns ObjectID,PropertyID,PropertyValue,SourceID[,TimeStamp]"
        ) from None
    typer.echo(orjson.dumps(result).decode())


CLAIMS_COLUMNS = ("ObjectID", "PropertyID", "PropertyValue", "SourceID")
TRUTH_COLUMNS = ("ObjectID", "PropertyID", "PropertyValue")


def _require_csv_header(option: str, path: Path, columns: tuple[str, ...]) -> None:
    """One line naming the option, the file and the missing columns, instead of a KeyError."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(
            f"{option} {path}: not a UTF-8 CSV file ({exc.__class__.__name__})"
        ) from None
    missing = [c for c in columns if c not in {h.strip() for h in header}]
    if missing:
        raise ConfigError(
            f"{option} {path}: the header must name the columns {','.join(columns)} "
            f"(missing {','.join(missing)}; found {','.join(header)[:80] or 'an empty file'})"
        )


class ExportFormat(StrEnum):
    ndjson = "ndjson"
    csv = "csv"


@cli.command("export")
def export(
    format: Annotated[
        ExportFormat, typer.Option("--format", help="ndjson (re-importable) or csv")
    ] = ExportFormat.ndjson,
    database_url: DatabaseUrl = None,
) -> None:
    """Write everything to stdout: NDJSON in the import format, or a CSV of claims."""
    from app.exports.service import stream

    _check_schema(database_url)
    out = sys.stdout.buffer
    for chunk in stream(format.value):
        out.write(chunk)
    out.flush()


links_cli = typer.Typer(help="Claim links.", no_args_is_help=True)
cli.add_typer(links_cli, name="links")


@links_cli.command("check")
def links_check(
    older_than: Annotated[
        str | None, typer.Option(help="Also re-check links older than 7d, 12h, 30m")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many links")] = 500,
    archive: Annotated[
        bool, typer.Option(help="Request archive snapshots (needs CLAIMDESK_ARCHIVE_URL)")
    ] = False,
    quiet: Quiet = False,
    as_json: Json = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Check claim links: status, final URL, title and content hash (stored on each link).
    Each distinct URL is fetched once, several at a time; links with no answer count as
    broken, and DNS failures are named. Ends with one summary line (failures listed first)."""
    from app.db import session_scope
    from app.links.service import check_links, client, parse_age
    from app.progress import progress_bar

    _check_schema(database_url)
    try:
        age = parse_age(older_than)
    except ValueError as exc:
        raise _fail(f"--older-than: {exc}") from exc
    if archive and not get_settings().archive_url:
        raise ConfigError(
            "--archive needs CLAIMDESK_ARCHIVE_URL (e.g. https://web.archive.org/save/)"
        )
    with progress_bar("checking links", quiet=quiet) as bar, client() as http:

        def progress(done: int, total: int) -> None:
            if done == 0:
                bar.total(total)
            else:
                bar.advance(1)

        # one unit of work per URL checked: a long run keeps its progress
        report = check_links(session_scope, http, age, limit, archive, progress)
    if as_json:
        typer.echo(orjson.dumps(report.model_dump()).decode())
        return
    for failure in report.failures:
        typer.echo(f"{mask_url(failure.url)}: {failure.reason}", err=True)
    typer.echo(
        f"checked {_plural(report.checked, 'link')} ({_plural(report.urls, 'URL')}): "
        f"{report.ok:,} ok, {report.broken:,} broken ({report.unreachable:,} unreachable, "
        f"{_plural(report.dns_failures, 'DNS failure')}), {report.refused:,} refused, "
        f"{report.archived:,} archived in {report.seconds:.1f} s"
    )


HEARTBEAT = Path(tempfile.gettempdir()) / "claimdesk-worker.heartbeat"


@cli.command("worker")
def worker(
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due, then exit")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between passes")] = 2.0,
    heartbeat: Annotated[
        Path, typer.Option(help="File touched after every successful pass")
    ] = HEARTBEAT,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Healthcheck: exit 0 if a running worker's last good pass is recent, else 1",
        ),
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Deliver webhooks (any number of workers and API processes may run at once)."""
    from app.webhooks.service import DeliveryLoop, deliver_due

    if check:
        limit = max(30.0, 5 * interval)
        try:
            age = time.time() - heartbeat.stat().st_mtime
        except FileNotFoundError:
            raise _fail(f"unhealthy: no heartbeat at {heartbeat} yet") from None
        if age > limit:
            raise _fail(f"unhealthy: last good pass {age:.0f} s ago (limit {limit:.0f} s)")
        typer.echo(f"healthy: last good pass {age:.0f} s ago")
        return
    _check_schema(database_url)
    if once:
        typer.echo(f"delivered {deliver_due()}")
        return
    loop = DeliveryLoop(interval, heartbeat=heartbeat)
    typer.echo("delivering webhooks; Ctrl-C to stop")
    try:
        loop.run()
    except KeyboardInterrupt:
        loop.stop()


@cli.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    demo: Annotated[bool, typer.Option("--demo", help="Load the Camp Taji demo if empty")] = False,
    deliver: Annotated[
        bool, typer.Option("--deliver/--no-deliver", help="Deliver webhooks in-process")
    ] = True,
    database_url: DatabaseUrl = None,
) -> None:
    """Run the API server (uvicorn). Webhooks are delivered in-process unless --no-deliver
    (then run `claimdesk worker`)."""
    import uvicorn

    from app.db import session_scope
    from app.demo.service import camp_taji_id, is_empty, load_demo
    from app.logging import uvicorn_log_config

    _check_schema(database_url)
    if not deliver:
        os.environ["CLAIMDESK_DELIVER_WEBHOOKS"] = "false"  # inherited by the workers
        get_settings.cache_clear()
    settings = get_settings()
    if demo:
        with session_scope() as session:
            if is_empty(session):
                report = load_demo(session)
                typer.echo(f"loaded the Camp Taji demo: {report.created}")
            incident = camp_taji_id(session)
        typer.echo(
            "Demo ready. Get a key:  claimdesk keys create --name me --role editor\n"
            f"Then: curl -H 'Authorization: Bearer <key>' "
            f"http://{host}:{port}/v1/incidents/{incident}/claims   (docs: http://{host}:{port}/docs)"
        )
        if settings.anonymous_read:
            typer.echo("Anonymous reads are on: no key needed to read.")
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"The incident board is at http://{shown}:{port}/board (sign in with an API key)")
    # before anything imports prometheus_client: every worker writes its samples there
    own_metrics_dir = METRICS_DIR_ENV not in os.environ
    metrics_dir = _prepare_metrics_dir()
    try:
        uvicorn.run(
            "app.main:app",
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level.lower(),
            log_config=uvicorn_log_config(settings.log_level),
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            access_log=False,  # our JSON access log carries the request id
            server_header=False,  # no "Server: uvicorn" banner
        )
    finally:
        if own_metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
            os.environ.pop(METRICS_DIR_ENV, None)


METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _prepare_metrics_dir() -> Path:
    """The operator's PROMETHEUS_MULTIPROC_DIR emptied of a previous run's samples, or a new
    temporary directory, set in the environment so that the worker processes inherit it
    (prometheus-client's multiprocess mode: a scrape of any worker sums them all)."""
    configured = os.environ.get(METRICS_DIR_ENV)
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        return path
    path = Path(tempfile.mkdtemp(prefix="claimdesk-metrics-"))
    os.environ[METRICS_DIR_ENV] = str(path)
    return path


def main() -> None:
    """Entry point: a wrong setting or input file is one line on stderr and exit code 2."""
    try:
        cli()
    except ConfigError as exc:
        typer.echo(f"claimdesk: {exc}", err=True)
        sys.exit(CONFIG_EXIT)
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
