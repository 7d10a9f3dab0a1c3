"""The `schemadiff` command: parses arguments, calls the library, prints, sets the exit code.

Exit codes: 0 success (or no drift), 1 drift or a tripped hazard gate found by `check`, 2 any error.
"""

from __future__ import annotations

import dataclasses
import gc
import sys
from pathlib import Path
from typing import Optional, Sequence

import click

from . import __version__
from .config import Config, load_config, load_models
from .errors import SchemadiffError

# Each command imports the parts it uses inside its body: a command pays only for what it runs.

_FLAGS = "schemadiff.flags"


def _remember(ctx: click.Context, param: click.Parameter, value):
    """Global options may come before or after the sub-command; the later one wins."""
    if value is not None:
        ctx.find_root().meta.setdefault(_FLAGS, {})[param.name] = value
    return value


def _global_options(f):
    for name, meta, text in (
        ("--url", "URL", "SQLAlchemy database URL."),
        ("--metadata", "MODULE:ATTR", "The models: a MetaData, or an object with .metadata."),
        ("--dir", "PATH", "Migrations folder (default: migrations)."),
    ):
        f = click.option(name, metavar=meta, help=text, callback=_remember, expose_value=False)(f)
    # main() reads --debug from the raw arguments: it must work even when parsing fails.
    return click.option("--debug", is_flag=True, help="Show tracebacks of errors.", expose_value=False)(f)


def _config(ctx: click.Context) -> Config:
    return load_config(**ctx.find_root().meta.get(_FLAGS, {}))


def _against_models(config: Config, compute):
    """compute(connection, metadata, scope) on the configured database and models."""
    from .api import Scope, connect

    url = config.require_url()
    metadata = load_models(config)
    with connect(url) as conn:
        return compute(conn, metadata, Scope.from_config(config))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="schemadiff")
@_global_options
def cli() -> None:
    """Keep a database in step with SQLAlchemy models.

    \b
    Settings come from [tool.schemadiff] in ./pyproject.toml (url, metadata, dir, ...),
    then the SCHEMADIFF_URL environment variable, then --url/--metadata/--dir: the later wins.

    \b
    Exit codes: 0 success (check: no drift), 1 check found drift or a tripped hazard gate, 2 any error.
    """


def _rename_options(f):
    f = click.option(
        "--rename-table", "rename_tables", multiple=True, metavar="[SCHEMA.]OLD=NEW",
        help="Table OLD is NEW in the models: rename it instead of drop + create. Repeatable.",
    )(f)
    return click.option(
        "--rename", "rename_columns", multiple=True, metavar="[SCHEMA.]TABLE.OLD=NEW",
        help="Column OLD of TABLE is NEW in the models: rename it instead of drop + add. Repeatable.",
    )(f)


def _echo_report(text: str, fmt: Optional[str] = "text") -> None:
    """A report; a text one is coloured and wrapped when stdout is a terminal."""
    if fmt == "text":
        from .terminal import for_terminal

        text = for_terminal(text, sys.stdout)
    click.echo(text)


@cli.command("diff")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "markdown", "sql", "text"]), default="text", show_default=True,
    help="Output format (sql: the statements that would bring the database in line).",
)
@_rename_options
@_global_options
@click.pass_context
def diff_command(ctx: click.Context, fmt: str, rename_columns, rename_tables) -> int:
    """Print the differences between the database and the models."""
    from .api import assessed_diff, diff_sql
    from .rename_answers import parse_flags
    from .report import render_report

    config = _config(ctx)
    renames = parse_flags(rename_columns, rename_tables)
    if fmt != "sql":
        ops, found = _against_models(config, lambda *args: assessed_diff(*args, renames=renames))
        _echo_report(render_report(ops, fmt, found), fmt)
        return 0
    for line in _against_models(config, lambda *args: diff_sql(*args, renames=renames)):
        click.echo(line)
    return 0


@cli.command("check")
@click.option("--offline", is_flag=True, help="Compare the models with the committed head snapshot: no database.")
@click.option(
    "--fail-on", metavar="CLASSES",
    help="Exit 1 when revisions carry hazards of these classes or codes, comma-separated "
    "(data-loss, table-rewrite, locking, may-fail); default: fail_on in config. "
    "Online it gates the revisions the database has not applied yet; offline, those new against --base.",
)
@click.option("--base", metavar="GIT_REF", help="Gate the revision scripts new against GIT_REF, e.g. origin/main (default offline: review_base).")
@click.option("--range", "rev_range", metavar="A:B", help="Gate the revisions in the range A:B instead.")
@click.option("--format", "fmt", type=click.Choice(["json", "markdown", "text"]), default="text", show_default=True, help="Report format.")
@click.option("--output", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to FILE; the exit code stays.")
@_global_options
@click.pass_context
def check_command(ctx: click.Context, offline: bool, fail_on, base, rev_range, fmt: str, output: Optional[Path]) -> int:
    """Exit 1 when the database (or, with --offline, the head snapshot) has drifted from the
    models, or revisions carry hazards that fail_on names; print what, and what to run.

    \b
    Exit codes: 0 no drift, 1 drift or a tripped hazard gate (printed), 2 error.
    """
    from .hazard_policy import check_report, configured_policy, gate, online_gate

    config = _config(ctx)
    policy = configured_policy(config, fail_on, base, rev_range)
    if offline:
        from .head_snapshot import offline_check

        changes, found = offline_check(config, load_models(config))
        notes = ["The models are ahead of the revisions: run schemadiff generate"] if changes else []
        clean = "No differences: the models match the head snapshot."
        result = gate(config, policy, None, base, rev_range) if policy.fail_on else None
    else:
        from .diagnosis import diagnose, explain

        diagnosis = _against_models(config, lambda conn, metadata, scope: diagnose(config, conn, metadata, scope))
        changes, found, notes, clean = list(diagnosis.changes), diagnosis.hazards, explain(diagnosis), None
        result = online_gate(config, policy, base, rev_range)
    _report(check_report(changes, found, result, fmt, notes, clean), output, fmt)
    return 1 if changes or (result and result.tripped) else 0


def _report(text: str, output: Optional[Path], fmt: Optional[str] = None) -> None:
    """The report on stdout (a text one styled for a terminal, see _echo_report), or in `output`."""
    if output is None:
        _echo_report(text, fmt)
        return
    try:
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as e:
        raise SchemadiffError(f"--output {output}: cannot write: {e.strerror}") from None


@cli.command("snapshot")
@click.option("--dev-url", metavar="URL", help="A server where a scratch database may be created and dropped.")
@click.option(
    "--start-from", metavar="SNAPSHOT.json|URL",
    help="Start from this database (at its revision) or snapshot file and replay the scripts after it "
    "offline, for a history whose first tables were made outside it.",
)
@_global_options
@click.pass_context
def snapshot_command(ctx: click.Context, dev_url: Optional[str], start_from: Optional[str]) -> int:
    """Rebuild the head snapshot: replay every revision on a scratch database and read the result."""
    from .scratch import rebuild_head_snapshot

    config = _config(ctx)
    path = rebuild_head_snapshot(config, dev_url, start_from)
    click.echo(f"Wrote {_shown(config, path)}")
    return 0


@cli.command("init")
@click.argument("directory", required=False)
@click.option(
    "--from-alembic", "alembic_path", is_flag=False, flag_value=".", metavar="[PATH]",
    help="Adopt the Alembic project in PATH (a folder or an alembic.ini; default: here): "
    "write [tool.schemadiff] for its scripts and alembic_version, and move nothing.",
)
@_global_options
@click.pass_context
def init_command(ctx: click.Context, directory: Optional[str], alembic_path: Optional[str]) -> int:
    """Create the migrations folder (and a [tool.schemadiff] section if there is none)."""
    given = dict(ctx.find_root().meta.get(_FLAGS, {}))
    if alembic_path is not None:
        from .adopt import adopt_alembic

        if directory:
            raise SchemadiffError(f"init --from-alembic takes no DIRECTORY ({directory}): the scripts stay put")
        for line in adopt_alembic(Path(alembic_path), given):
            click.echo(line)
        return 0
    from .scripts import init_project

    config = _config(ctx)
    if directory:
        config = dataclasses.replace(config, dir=directory)
        given["dir"] = directory
    for line in init_project(config, given):
        click.echo(line)
    return 0


@cli.command("generate")
@click.option("-m", "--message", required=True, help="What the revision does.")
@click.option("--empty", is_flag=True, help="Write an empty script, without comparing.")
@click.option("--rev-id", metavar="ID", help="Use this revision id instead of a random one.")
@_rename_options
@_global_options
@click.pass_context
def generate_command(ctx: click.Context, message: str, empty: bool, rev_id: Optional[str], rename_columns, rename_tables) -> int:
    """Write a revision script for the differences between the database and the models.

    In a terminal, each dropped column or table that looks renamed is asked about
    (--rename and --rename-table answer ahead of time); elsewhere it stays a drop + add
    with a possible-rename hazard.
    """
    from .api import connect
    from .rename_answers import parse_flags
    from .report import describe
    from .scripts import generate_revision, require_message

    require_message(message)  # before connecting: a refusal should not wait for the database
    renames = parse_flags(rename_columns, rename_tables)
    config = _config(ctx)
    if empty:
        result = generate_revision(config, message, rev_id=rev_id)
    else:
        url = config.require_url()
        metadata = load_models(config)
        ask = _ask_rename if sys.stdin.isatty() and sys.stdout.isatty() else None
        with connect(url) as conn:
            result = generate_revision(config, message, conn, metadata, rev_id=rev_id, renames=renames, ask=ask)
    if result.path is None:
        click.echo("No changes: the database matches the models, so nothing was written (--empty writes an empty script).")
        return 0
    if result.ops:
        _echo_report("\n".join(f"  {describe(op)}" for op in result.ops))
    click.echo(f"Generated {_shown(config, result.path)}")
    click.echo(result.snapshot_note)
    return 0


def _ask_rename(candidate) -> bool:
    return click.confirm(candidate.question, default=False)


_TARGET_ARGS = {"ignore_unknown_options": True}  # so that `downgrade -1` reads -1 as a target


def _migration_options(f):
    f = click.option("--sql", is_flag=True, help="Print the SQL instead of running it (TARGET may be a range a:b).")(f)
    f = click.option(
        "--start-from", metavar="SNAPSHOT.json|URL",
        help="With --sql: replay the schema from this head snapshot file or database (at its revision) "
        "instead of from the committed head snapshot or base.",
    )(f)
    f = click.option("--transaction-per-run", is_flag=True, help="Run all revisions in one transaction.")(f)
    return click.option("--lock-timeout", type=float, metavar="SECONDS", help="How long to wait for another migration (default 60).")(f)


def _migrate(ctx: click.Context, direction: str, target: str, sql: bool, transaction_per_run: bool, lock_timeout: Optional[float], start_from: Optional[str]) -> int:
    from .runtime import migrate, offline_sql

    config = _config(ctx)
    if lock_timeout is not None:
        config = dataclasses.replace(config, lock_timeout=lock_timeout)
    if start_from is not None and not sql:
        raise SchemadiffError("--start-from works with --sql only: online, the database itself is the start")
    if sql:
        offline_sql(config, direction, target, click.echo, start_from)
    else:
        migrate(config, direction, target, click.echo, transaction_per_run)
    return 0


@cli.command("upgrade", context_settings=_TARGET_ARGS)
@click.argument("target", default="head")
@_migration_options
@_global_options
@click.pass_context
def upgrade_command(ctx, target, sql, transaction_per_run, lock_timeout, start_from) -> int:
    """Apply revisions up to TARGET (head, heads, +N, a revision id or prefix, branch@head)."""
    return _migrate(ctx, "upgrade", target, sql, transaction_per_run, lock_timeout, start_from)


@cli.command("downgrade", context_settings=_TARGET_ARGS)
@click.argument("target")
@_migration_options
@_global_options
@click.pass_context
def downgrade_command(ctx, target, sql, transaction_per_run, lock_timeout, start_from) -> int:
    """Undo revisions down to TARGET (base, -N, a revision id or prefix)."""
    return _migrate(ctx, "downgrade", target, sql, transaction_per_run, lock_timeout, start_from)


@cli.command("current")
@click.option("--verbose", "-v", is_flag=True, help="Show each revision in full.")
@_global_options
@click.pass_context
def current_command(ctx, verbose: bool) -> int:
    """Show the revision(s) the database is at."""
    from .revisions import short_line, verbose_entry
    from .runtime import current_versions
    from .scripts import revision_map

    config = _config(ctx)
    revisions = revision_map(config)
    current = current_versions(config)
    if not current:
        click.echo("<base>: no revision is applied to this database yet")
    for rev in current:
        if rev not in revisions:
            click.echo(f"{rev} (no script for it in {config.dir}/versions)")
        else:
            line = verbose_entry if verbose else short_line
            click.echo(line(revisions, revisions.get(rev)))
    return 0


@cli.command("history")
@click.option("-r", "--rev-range", metavar="RANGE", help="Only revisions in RANGE, e.g. base:head or ab12:.")
@click.option("--verbose", "-v", is_flag=True, help="Show each revision in full.")
@click.option("--indicate-current", "-i", is_flag=True, help="Mark the database's revision (connects to it).")
@_global_options
@click.pass_context
def history_command(ctx, rev_range: Optional[str], verbose: bool, indicate_current: bool) -> int:
    """List revisions, newest first."""
    from .revisions import history_line, verbose_entry
    from .runtime import current_versions
    from .scripts import revision_map

    config = _config(ctx)
    revisions = revision_map(config)
    # A range that counts from `current` needs the database, -i or not.
    database = current_versions(config) if indicate_current or revisions.needs_current(rev_range or "") else ()
    current = database if indicate_current else ()
    for revision in revisions.history(rev_range, database):
        if verbose:
            click.echo(verbose_entry(revisions, revision, current) + "\n")
        else:
            click.echo(history_line(revisions, revision, current))
    return 0


_REVIEW_FORMATS = click.Choice(["text", "markdown", "json", "sql"])


@cli.command("show")
@click.argument("rev")
@click.option(
    "--format", "fmt", type=_REVIEW_FORMATS, default="text", show_default=True,
    help="text: the revision's header, then its changes and hazards; markdown, json, sql: as `review` gives them.",
)
@_global_options
@click.pass_context
def show_command(ctx, rev: str, fmt: str) -> int:
    """Show one revision in full: its header, then what it changes (read from the script, offline)."""
    from .head_snapshot import revision_map
    from .review import render, review_revision, revision_text
    from .revisions import verbose_entry

    config = _config(ctx)
    revisions = revision_map(config)
    current = _current_versions(config) if revisions.needs_current(rev) else ()
    ids = revisions.resolve(rev, current)
    if fmt != "text":
        click.echo(render(review_revision(config, revisions, rev, ids), fmt))
        return 0
    review = _offline_review(lambda: review_revision(config, revisions, rev, ids))
    for revision_id in ids:
        click.echo(verbose_entry(revisions, revisions.get(revision_id)))
        if isinstance(review, str):
            click.echo(f"\nChanges: {review}")
        else:
            changes = next(r for r in review.revisions if r.revision.id == revision_id)
            _echo_report("\n" + revision_text(changes))
    return 0


def _current_versions(config: Config):
    from .runtime import current_versions

    return current_versions(config)


def _offline_review(build):
    """The review, or why the scripts cannot be read offline: `show` keeps printing the header
    (as Alembic's does) when a script needs a database or no dialect is configured."""
    try:
        return build()
    except SchemadiffError as e:
        return f"cannot be read offline: {e}"


@cli.command("review")
@click.argument("rev_range", metavar="[RANGE]", required=False)
@click.option("--base", metavar="GIT_REF", help="Review the revision scripts new against GIT_REF, e.g. origin/main (default: review_base).")
@click.option("--format", "fmt", type=_REVIEW_FORMATS, default="text", show_default=True, help="markdown is made to be posted as a pull-request comment.")
@click.option("--output", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path), help="Write the review to FILE.")
@_global_options
@click.pass_context
def review_command(ctx, rev_range: Optional[str], base: Optional[str], fmt: str, output: Optional[Path]) -> int:
    """Say what revisions change: their ops, hazards and SQL for the configured dialect, from the
    scripts alone (no database). RANGE as in `history -r` (ab12:head, base:head); without it, the
    scripts new against --base or review_base."""
    from .review import render, review_new, review_range

    config = _config(ctx)
    if rev_range is not None and base is not None:
        raise SchemadiffError("review takes a RANGE or --base, not both")
    review = review_range(config, rev_range) if rev_range is not None else review_new(config, base)
    _report(render(review, fmt), output, fmt)
    return 0


@cli.command("heads")
@click.option("--verbose", "-v", is_flag=True, help="Show each head in full.")
@_global_options
@click.pass_context
def heads_command(ctx, verbose: bool) -> int:
    """List the newest revision of each branch."""
    from .revisions import short_line, verbose_entry
    from .scripts import revision_map

    revisions = revision_map(_config(ctx))
    for revision in revisions.heads:
        click.echo((verbose_entry if verbose else short_line)(revisions, revision))
    return 0


@cli.command("branches")
@click.option("--verbose", "-v", is_flag=True, help="Show each branch point in full.")
@_global_options
@click.pass_context
def branches_command(ctx, verbose: bool) -> int:
    """List the revisions where the history splits."""
    from .revisions import short_line, verbose_entry
    from .scripts import revision_map

    revisions = revision_map(_config(ctx))
    for revision in revisions:
        if revisions.is_branch_point(revision.id):
            if verbose:
                click.echo(verbose_entry(revisions, revision))
            else:
                children = ", ".join(c.id for c in revisions.children(revision.id))
                click.echo(f"{short_line(revisions, revision)} -> {children}")
    return 0


@cli.command("merge")
@click.option("-m", "--message", required=True, help="What the merge does.")
@click.option("--rev-id", metavar="ID", help="Use this revision id instead of a random one.")
@click.argument("revs", nargs=-1, required=True)
@_global_options
@click.pass_context
def merge_command(ctx, message: str, rev_id: Optional[str], revs: tuple[str, ...]) -> int:
    """Write a revision that joins REVS (or `heads`) into one head."""
    from .scripts import merge_revisions

    config = _config(ctx)
    result = merge_revisions(config, message, revs, rev_id)
    click.echo(f"Generated {_shown(config, result.path)}")
    click.echo(result.snapshot_note)
    return 0


@cli.command("stamp", context_settings=_TARGET_ARGS)
@click.argument("rev")
@click.option("--purge", is_flag=True, help="Empty the version table first (it may name unknown revisions).")
@_global_options
@click.pass_context
def stamp_command(ctx, rev: str, purge: bool) -> int:
    """Record REV in the version table without running any script."""
    from .runtime import stamp

    stamp(_config(ctx), rev, purge, click.echo)
    return 0


@cli.command(
    "revision",
    hidden=True,  # Alembic's name, kept out of the help: it only points to `generate`
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
)
@click.pass_context
def revision_command(ctx: click.Context) -> int:
    """Alembic's `revision`: says which `generate` command does the same."""
    import shlex

    message = _message_argument(ctx.args)
    quoted = shlex.quote(message) if message is not None else "MSG"
    if "--autogenerate" in ctx.args:
        instead = f"`schemadiff generate -m {quoted}` (it always compares with the models)"
    else:
        instead = (
            f"`schemadiff generate --empty -m {quoted}` "
            "(without --empty it compares with the models, as --autogenerate does)"
        )
    raise SchemadiffError(f"schemadiff has no `revision` command: run {instead}")


def _message_argument(args: list[str]) -> Optional[str]:
    """The value of -m/--message among arguments that click did not parse."""
    for i, arg in enumerate(args):
        if arg in ("-m", "--message") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--message="):
            return arg.partition("=")[2]
        if arg.startswith("-m") and len(arg) > 2:
            return arg[2:]
    return None


def _shown(config: Config, path: Path) -> str:
    try:
        return str(path.relative_to(config.root))
    except ValueError:
        return str(path)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        code = cli.main(args=args, prog_name="schemadiff", standalone_mode=False)
    except click.ClickException as e:
        e.show()
        code = e.exit_code
    except click.exceptions.Abort:
        click.echo("schemadiff: aborted", err=True)
        code = 2
    except SchemadiffError as e:
        _traceback(debug)
        click.echo(f"schemadiff: error: {e}", err=True)
        code = 2
    except Exception as e:  # anything unforeseen still gets one line, never a traceback
        _traceback(debug)
        message = " ".join(str(e).split()) or type(e).__name__
        click.echo(f"schemadiff: error: {type(e).__name__}: {message} (run with --debug for details)", err=True)
        code = 2
    # The process ends here. Left alone, the interpreter's last garbage collection walks every
    # object the command made (snapshots, ops), about 0.1 s of a pre-commit check: keep them out.
    gc.freeze()
    sys.exit(code if isinstance(code, int) else 0)


def _traceback(debug: bool) -> None:
    """--debug shows the traceback; the exit code stays 2, so CI never mistakes an error for drift."""
    if debug:
        import traceback

        traceback.print_exc()
