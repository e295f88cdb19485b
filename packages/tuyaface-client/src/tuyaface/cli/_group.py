"""The `tuyaface` click group: shared options, and how errors become exit codes and (with
--json) JSON documents."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Sequence
from typing import Any

import click

import tuyaface
import tuyaface_codec
import tuyaface_transport
from tuyaface_codec.errors import TuyaError

from ._exits import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    epilog,
    error_document,
    exit_code,
)
from ._logs import logging_to_stderr, set_verbosity
from ._text import json_text, say

__all__ = ["TuyafaceGroup", "emit_json", "json_option", "main", "output", "version_line"]

log = logging.getLogger(__name__)

# command -> the module that registers it on `main`: only the command that runs is imported
# (`tuyaface status` skipped monitor's asyncio and AsyncDevice: 30 ms of a 180 ms process)
COMMAND_MODULES = {
    "bridge": "._bridge",
    "children": "._children",
    "demo": "._demo",
    "describe": "._describe",
    "detect": "._detect",
    "monitor": "._monitor",
    "scan": "._scan",
    "set": "._set",
    "simulate": "._simulate",
    "status": "._status",
}


def _wants_json(args: Sequence[str]) -> bool:
    """Whether the command line asks for --json (known before it is parsed, so that even a
    usage error is reported as JSON)."""
    options = list(args)
    if "--" in options:
        options = options[: options.index("--")]
    return "--json" in options


def emit_json(data: Any) -> None:
    """Print one JSON document (or one line of a JSON stream) on stdout."""
    click.echo(json_text(data))


def _report(kind: str, message: str, code: int, as_json: bool) -> None:
    say(f"error: {message}", err=True)
    if as_json:
        emit_json(error_document(kind, message, code))


class TuyafaceGroup(click.Group):
    """A group that reports every failure as a message (JSON with --json) and an exit code:
    click's usage errors 2, our errors by `exit_code`, anything else 1. Commands load on
    first use (`COMMAND_MODULES`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMAND_MODULES, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(COMMAND_MODULES[cmd_name], __package__)
        return super().get_command(ctx, cmd_name)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        with logging_to_stderr():
            code = self._run(argv, prog_name, complete_var, windows_expand_args, extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(
        self,
        argv: list[str],
        prog_name: str | None,
        complete_var: str | None,
        windows_expand_args: bool,
        extra: dict[str, Any],
    ) -> int:
        as_json = _wants_json(argv)
        try:
            result = super().main(
                argv, prog_name, complete_var, standalone_mode=False,
                windows_expand_args=windows_expand_args, **extra,
            )
        except click.ClickException as exc:
            if as_json:
                emit_json(error_document(type(exc).__name__, exc.format_message(), exc.exit_code))
            exc.show()
            return exc.exit_code
        except click.Abort:
            _report("Interrupted", "interrupted", EXIT_INTERRUPTED, as_json)
            return EXIT_INTERRUPTED
        except TuyaError as exc:
            code = exit_code(exc)
            _report(type(exc).__name__, str(exc), code, as_json)
            return code
        except Exception as exc:  # a bug here or in a plugin: say so, keep it reportable
            log.info("the internal error's traceback:", exc_info=exc)
            message = (
                f"internal error ({type(exc).__name__}: {exc}): a bug in tuyaface or one of "
                "its plugins; run again with -v for the traceback and please report it"
            )
            _report(type(exc).__name__, message, EXIT_INTERNAL, as_json)
            return EXIT_INTERNAL
        return result if isinstance(result, int) else 0


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON on stdout (errors too)."
)


def output(as_json: bool, text: str, data: dict[str, Any]) -> None:
    """Print `text`, or `data` as one JSON line with --json."""
    if as_json:
        click.echo(json_text(data, sort_keys=True))
    else:
        say(text)


def version_line() -> str:
    """What `tuyaface --version` prints: the client's version and its two siblings'."""
    return (
        f"tuyaface {tuyaface.__version__} (tuyaface-codec {tuyaface_codec.__version__}, "
        f"tuyaface-transport {tuyaface_transport.__version__})"
    )


@click.group(cls=TuyafaceGroup, epilog=epilog(), context_settings={"max_content_width": 100})
@click.option("-v", "--verbose", count=True, help="Log to stderr: -v progress, -vv details.")
@click.version_option(
    tuyaface.__version__, message=version_line(), help="Print the three packages' versions."
)
def main(verbose: int) -> None:
    """Control Tuya Wi-Fi devices over the local network (protocol 3.1 - 3.5).

    Output goes to stdout (with --json: one JSON document, or one JSON object a line for
    streams); logs, progress and errors go to stderr.
    """
    set_verbosity(verbose)
