"""The ``claimdesk`` command."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from app.config import get_settings
from app.enums import Role

cli = typer.Typer(
    help="Claimdesk: who said what, and when, about news incidents.", no_args_is_help=True
)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_cli = typer.Typer(help="The Camp Taji demo data set.", no_args_is_help=True)
keys_cli = typer.Typer(help="API keys.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(demo_cli, name="demo")
cli.add_typer(keys_cli, name="keys")
reliability_cli = typer.Typer(help="Learned source reliability.", no_args_is_help=True)
cli.add_typer(reliability_cli, name="reliability")


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=1)


@db_cli.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply the Alembic migrations (creates the database if it is a new SQLite file)."""
    from alembic import command

    from app.db import alembic_config

    command.upgrade(alembic_config(), revision)
    typer.echo(f"database at {revision}: {get_settings().database_url}")


@db_cli.command("current")
def db_current() -> None:
    """Show the schema revision of the database and of the code."""
    from app.db import get_engine, schema_status

    current, head = schema_status(get_engine())
    typer.echo(f"database: {current or 'empty'}  code: {head}")


def _check_schema() -> None:
    from app.db import SchemaOutOfDate, check_schema, get_engine

    try:
        check_schema(get_engine())
    except SchemaOutOfDate as exc:
        raise _fail(str(exc)) from exc


@demo_cli.command("load")
def demo_load() -> None:
    """Load the Camp Taji demo (records already present are left as they are)."""
    from app.db import session_scope
    from app.demo.service import camp_taji_id, load_demo

    _check_schema()
    with session_scope() as session:
        report = load_demo(session)
        incident = camp_taji_id(session)
    typer.echo(f"demo loaded: created {report.created}, unchanged {report.unchanged}")
    typer.echo(f"Camp Taji incident: /v1/incidents/{incident}/claims")


@keys_cli.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key")],
    role: Annotated[Role, typer.Option(help="viewer, editor or admin")],
) -> None:
    """Create an API key; the key is printed alone on the last line (shown only once)."""
    from app.db import session_scope
    from app.keys.service import create_key

    _check_schema()
    with session_scope() as session:
        key, secret = create_key(session, name, role)
        typer.echo(f"created {role.value} key {key.id} ({name}); store it now, it is not kept:")
    typer.echo(secret)


@cli.command("import")
def import_file(path: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Import an NDJSON file of sources, actors, incidents and claims (all-or-nothing)."""
    from app.auth import OPERATOR
    from app.db import session_scope
    from app.errors import ValidationFailed
    from app.imports.service import import_records

    _check_schema()
    try:
        with session_scope() as session, path.open("rb") as fh:
            report = import_records(session, fh, OPERATOR)
    except ValidationFailed as exc:
        for e in exc.errors or []:
            typer.echo(f"line {e.line}: {e.pointer or '/'}: {e.detail}", err=True)
        raise _fail(exc.detail or "import failed") from exc
    typer.echo(orjson.dumps(report.model_dump()).decode())


@reliability_cli.command("recompute")
def reliability_recompute() -> None:
    """Learn every source's reliability from the whole corpus and store it."""
    from app.db import session_scope
    from app.reliability.service import recompute

    _check_schema()
    with session_scope() as session:
        report = recompute(session)
    typer.echo(orjson.dumps(report.model_dump()).decode())


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
) -> None:
    """Measure the engine against ground truth (CSV: ObjectID,PropertyID,PropertyValue,
    SourceID[,TimeStamp]); prints one JSON object: accuracy, ECE, majority vote's, a 10-bin
    reliability table and the Spearman correlation of learned vs empirical source accuracy."""
    from app.confidence.evaluate import evaluate_csv

    try:
        result = evaluate_csv(claims, truth, hierarchy)
    except (ValueError, KeyError) as exc:
        raise _fail(f"cannot read the benchmark: {exc}") from exc
    typer.echo(orjson.dumps(result).decode())


@cli.command("export")
def export(
    format: Annotated[
        str, typer.Option("--format", help="ndjson (re-importable) or csv")
    ] = "ndjson",
) -> None:
    """Write everything to stdout: NDJSON in the import format, or a CSV of claims."""
    from app.exports.service import stream

    if format not in ("ndjson", "csv"):
        raise _fail("--format must be ndjson or csv")
    _check_schema()
    out = sys.stdout.buffer
    for chunk in stream(format):
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
    archive: Annotated[bool, typer.Option(help="Request archive snapshots")] = False,
) -> None:
    """Check claim links: status, final URL, title and content hash (stored on each link)."""

    from app.db import session_scope
    from app.links.service import TIMEOUT_SECONDS, check_links, parse_age
    from app.urls import safe_client

    _check_schema()
    try:
        age = parse_age(older_than)
    except ValueError as exc:
        raise _fail(f"--older-than: {exc}") from exc
    with (
        safe_client(TIMEOUT_SECONDS, get_settings().allow_private_urls) as client,
        session_scope() as session,
    ):
        report = check_links(session, client, age, limit, archive)
    typer.echo(orjson.dumps(report.model_dump()).decode())


@cli.command("worker")
def worker(
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due, then exit")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between passes")] = 2.0,
) -> None:
    """Deliver webhooks (any number of workers and API processes may run at once)."""
    from app.webhooks.service import DeliveryLoop, deliver_due

    _check_schema()
    if once:
        typer.echo(f"delivered {deliver_due()}")
        return
    loop = DeliveryLoop(interval)
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
) -> None:
    """Run the API server (uvicorn). Webhooks are delivered in-process unless --no-deliver
    (then run `claimdesk worker`)."""
    import uvicorn

    from app.db import session_scope
    from app.demo.service import camp_taji_id, is_empty, load_demo

    _check_schema()
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
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        access_log=False,  # our JSON access log carries the request id
        server_header=False,  # no "Server: uvicorn" banner
    )


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
