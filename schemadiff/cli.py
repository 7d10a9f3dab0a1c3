"""The `schemadiff` command: parses arguments, calls the library, prints, sets the exit code.

Exit codes: 0 success (or no drift), 1 drift found by `check`, 2 any error.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Optional, Sequence

import click

from . import __version__
from .api import Scope, connect, diff
from .config import Config, load_config, load_metadata
from .errors import SchemadiffError
from .ops import Op
from .report import FORMATS, as_text, describe, render_report
from .scripts import generate_revision, init_project

_FLAGS = "schemadiff.flags"


def _remember(ctx: click.Context, param: click.Parameter, value):
    """Global options may come before or after the sub-command; the later one wins."""
    if value is not None and value is not False:
        ctx.find_root().meta.setdefault(_FLAGS, {})[param.name] = value
    return value


def _global_options(f):
    for name, meta, text in (
        ("--url", "URL", "SQLAlchemy database URL."),
        ("--metadata", "MODULE:ATTR", "The models: a MetaData, or an object with .metadata."),
        ("--dir", "PATH", "Migrations folder (default: migrations)."),
    ):
        f = click.option(name, metavar=meta, help=text, callback=_remember, expose_value=False)(f)
    return click.option(
        "--debug", is_flag=True, help="Show tracebacks of errors.", callback=_remember, expose_value=False
    )(f)


def _config(ctx: click.Context) -> Config:
    flags = dict(ctx.find_root().meta.get(_FLAGS, {}))
    flags.pop("debug", None)
    return load_config(**flags)


def _changes(config: Config) -> list[Op]:
    url = config.require_url()
    metadata = load_metadata(config.require_metadata(), config.root)
    with connect(url) as conn:
        return diff(conn, metadata, Scope(config.schemas, config.exclude_tables))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="schemadiff")
@_global_options
def cli() -> None:
    """Keep a database in step with SQLAlchemy models."""


@cli.command("diff")
@click.option(
    "--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text", show_default=True,
    help="Output format.",
)
@_global_options
@click.pass_context
def diff_command(ctx: click.Context, fmt: str) -> int:
    """Print the differences between the database and the models."""
    click.echo(render_report(_changes(_config(ctx)), fmt))
    return 0


@cli.command("check")
@_global_options
@click.pass_context
def check_command(ctx: click.Context) -> int:
    """Exit 1 and print the differences when the database has drifted from the models."""
    changes = _changes(_config(ctx))
    click.echo(as_text(changes))
    return 1 if changes else 0


@cli.command("init")
@click.argument("directory", required=False)
@_global_options
@click.pass_context
def init_command(ctx: click.Context, directory: Optional[str]) -> int:
    """Create the migrations folder (and a [tool.schemadiff] section if there is none)."""
    config = _config(ctx)
    if directory:
        config = dataclasses.replace(config, dir=directory)
    for line in init_project(config):
        click.echo(line)
    return 0


@cli.command("generate")
@click.option("-m", "--message", required=True, help="What the revision does.")
@click.option("--empty", is_flag=True, help="Write an empty script, without comparing.")
@click.option("--rev-id", metavar="ID", help="Use this revision id instead of a random one.")
@_global_options
@click.pass_context
def generate_command(ctx: click.Context, message: str, empty: bool, rev_id: Optional[str]) -> int:
    """Write a revision script for the differences between the database and the models."""
    config = _config(ctx)
    if empty:
        result = generate_revision(config, message, rev_id=rev_id)
    else:
        url = config.require_url()
        metadata = load_metadata(config.require_metadata(), config.root)
        with connect(url) as conn:
            result = generate_revision(config, message, conn, metadata, rev_id=rev_id)
    if result.path is None:
        click.echo("No changes: the database matches the models, so nothing was written (--empty writes an empty script).")
        return 0
    for op in result.ops:
        click.echo(f"  {describe(op)}")
    click.echo(f"Generated {_shown(config, result.path)}")
    return 0


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
        if debug:
            raise
        click.echo(f"schemadiff: error: {e}", err=True)
        code = 2
    except Exception as e:  # anything unforeseen still gets one line, never a traceback
        if debug:
            raise
        message = " ".join(str(e).split()) or type(e).__name__
        click.echo(f"schemadiff: error: {type(e).__name__}: {message} (run with --debug for details)", err=True)
        code = 2
    sys.exit(code if isinstance(code, int) else 0)
