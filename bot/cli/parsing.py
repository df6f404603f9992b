"""argparse in Chinese: help laid out in terminal columns, errors translated, argument types that explain."""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from typing import NoReturn

from bot.services.roster import LEVELS, Layout
from bot.texts import ARG_KINDS, cli_text
from models import Level

EXIT_CONFIG = 2  # argparse's code for a wrong command line; also a wrong setting

_ARGPARSE_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^the following arguments are required: (?P<names>.+)$"), "arg_required"),
    (re.compile(r"^one of the arguments (?P<names>.+) is required$"), "arg_one_required"),
    (re.compile(r"^unrecognized arguments: (?P<names>.+)$"), "arg_unrecognized"),
    (re.compile(r"^invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)$"), "arg_invalid_choice"),
    (re.compile(r"^invalid (?P<kind>\w+) value: (?P<value>.+)$"), "arg_invalid_value"),
    (re.compile(r"^expected one argument$"), "arg_expected_one"),
    (re.compile(r"^expected at least one argument$"), "arg_expected_some"),
    (re.compile(r"^not allowed with argument (?P<other>.+)$"), "arg_not_allowed_with"),
    (re.compile(r"^ambiguous option: (?P<option>\S+) could match (?P<matches>.+)$"), "arg_ambiguous"),
    (re.compile(r"^ignored explicit argument (?P<value>.+)$"), "arg_ignored_value"),
]


def translate_argparse(message: str) -> str:
    """argparse's English error as Chinese (our own type functions already speak Chinese)."""
    found = re.match(r"^argument (?P<name>.+?): (?P<rest>.+)$", message, re.S)
    if found:
        return cli_text("arg_problem", name=found["name"], problem=translate_argparse(found["rest"]))
    for pattern, key in _ARGPARSE_MESSAGES:
        match = pattern.match(message)
        if match:
            values = {k: v.replace("'", "") for k, v in match.groupdict().items()}
            if "kind" in values:
                values["kind"] = ARG_KINDS.get(values["kind"], values["kind"])
            if key == "arg_invalid_choice":
                choices = values["choices"].split(", ")
                values["choices"] = "、".join(choices)
                values["hint"] = did_you_mean(values["value"], choices)
            return cli_text(key, **values)
    return message


def did_you_mean(typed: str, names: Iterable[str]) -> str:
    """`，您是不是要输入：members` for the name closest to what was typed; "" when none is close."""
    close = difflib.get_close_matches(typed, list(names), n=1, cutoff=0.6)
    return cli_text("arg_did_you_mean", name=close[0]) if close else ""


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    """The parser's subcommands (argparse names no public type or accessor for them)."""
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)  # noqa: SLF001


def _options(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string of `parser` and of its subcommands, all the way down."""
    found = set(parser._option_string_actions)  # noqa: SLF001 - argparse's table of options
    sub = _subcommands(parser)
    for child in (sub.choices.values() if sub else ()):
        found |= _options(child)
    return found


def columns(text: str) -> int:
    """Terminal columns `text` takes: East Asian wide and full-width characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class ChineseHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help laid out as argparse does, headed 用法：, with the epilog's examples kept as written.

    It overrides argparse's formatting methods (underscored, but the documented way to customise help)."""

    def add_usage(self, usage, actions, groups, prefix=None):  # noqa: ANN001, ANN201 - argparse's signature
        # argparse itself passes prefix="" when it builds a subcommand's prog from the usage
        return super().add_usage(usage, actions, groups, prefix=cli_text("usage_prefix") if prefix is None else prefix)

    def add_argument(self, action: argparse.Action) -> None:
        # as argparse does, but measuring invocations in terminal columns (a Chinese character takes two)
        if action.help is not argparse.SUPPRESS:
            invocations = [self._format_action_invocation(action)]
            invocations += [self._format_action_invocation(sub) for sub in self._iter_indented_subactions(action)]
            length = max(map(columns, invocations)) + self._current_indent
            self._action_max_length = max(self._action_max_length, length)
            self._add_item(self._format_action, [action])

    def _format_action(self, action: argparse.Action) -> str:
        # list a command's subcommands straight under their heading, without repeating the heading's name
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001 - argparse names no public type for it
            self._dedent()
            try:
                return "".join(self._format_action(sub) for sub in self._iter_indented_subactions(action))
            finally:
                self._indent()
        # argparse's layout, padded in terminal columns so that Chinese option names line up
        help_position = min(self._action_max_length + 2, self._max_help_position)
        help_width = max(self._width - help_position, 11)
        action_width = help_position - self._current_indent - 2
        header = self._format_action_invocation(action)
        indent_first = help_position
        if not action.help:
            header = " " * self._current_indent + header + "\n"
        elif columns(header) <= action_width:
            header = " " * self._current_indent + header + " " * (action_width - columns(header)) + "  "
            indent_first = 0
        else:
            header = " " * self._current_indent + header + "\n"
        parts = [header]
        if action.help and action.help.strip():
            text = self._expand_help(action)
            if text:
                lines = self._split_lines(text, help_width)
                parts.append(" " * indent_first + lines[0] + "\n")
                parts += [" " * help_position + line + "\n" for line in lines[1:]]
        elif not header.endswith("\n"):
            parts.append("\n")
        parts += [self._format_action(sub) for sub in self._iter_indented_subactions(action)]
        return self._join_parts(parts)


class ChineseParser(argparse.ArgumentParser):
    """ArgumentParser whose help, group titles and errors are Chinese."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - argparse's own signature
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = cli_text("group_positionals")
        self._optionals.title = cli_text("group_options")
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help=cli_text("help_help"))

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        text = translate_argparse(message) + self._hint(message)
        self.exit(EXIT_CONFIG, cli_text("usage_error", message=text, prog=self.prog) + "\n")

    def _hint(self, message: str) -> str:
        """What argparse leaves out: the actions to choose from when none was given, the option meant by a typo."""
        sub = _subcommands(self)
        if sub is not None and message.startswith("the following arguments are required:") and sub.choices:
            return cli_text("arg_choices", choices="、".join(sub.choices))
        if message.startswith("unrecognized arguments:"):
            typed = next((word for word in message.split(":", 1)[1].split() if word.startswith("--")), None)
            if typed:
                return did_you_mean(typed.split("=", 1)[0], _options(self))
        return ""


def command(parent, name: str, key: str) -> argparse.ArgumentParser:  # noqa: ANN001 - argparse's subparsers
    """A (sub)command whose help, description and examples are the catalogue's `help_<key>`, `epilog_<key>`."""
    return parent.add_parser(name, help=cli_text(f"help_{key}"), description=cli_text(f"help_{key}"),
                             epilog=cli_text(f"epilog_{key}"))


def actions(cmd: argparse.ArgumentParser, dest: str):  # noqa: ANN201 - argparse's subparsers
    """The actions of a command group (`members import`, `members list`, …)."""
    return cmd.add_subparsers(dest=dest, required=True, metavar=cli_text("metavar_action"),
                              title=cli_text("group_actions"), parser_class=ChineseParser)


# --- argument types: each refuses a bad value with one Chinese line ----------------------------------


def telegram_id(text: str) -> int:
    if not re.fullmatch(r"\d{1,20}", text.strip()):
        raise argparse.ArgumentTypeError(cli_text("arg_bad_telegram_id", value=text))
    return int(text.strip())


def share(text: str) -> float:
    """A percentage, 0–100, with or without %; as a fraction."""
    try:
        value = float(text.strip().rstrip("%％"))
    except ValueError:
        raise argparse.ArgumentTypeError(cli_text("arg_bad_share", value=text)) from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(cli_text("arg_bad_share", value=text))
    return value / 100


def level(text: str) -> Level:
    found = LEVELS.get(text.strip().lower())
    if found is None:
        raise argparse.ArgumentTypeError(cli_text("arg_bad_level", value=text))
    return found


def role(text: str) -> str:
    if text.strip().lower() in ("coordinator", "协调员"):
        return "coordinator"
    raise argparse.ArgumentTypeError(cli_text("arg_bad_role", value=text))


def columns_help(layout: Layout, meaning: Callable[[str], str]) -> str:
    """A register file's columns and their aliases, for `members import -h` and `stations import -h`; `meaning`
    gives a column's meaning from its key."""
    lines = [cli_text("import_columns_title")]
    for key, aliases in layout.columns.items():
        lines.append(cli_text("import_column_line", name=aliases[0], aliases="、".join(aliases[1:]),
                              meaning=meaning(key)))
    lines.append(cli_text("import_lookalikes", names="、".join(sorted(layout.lookalikes))))
    return "\n".join(lines)
