"""The office's documentation stays true: every command, make target, path and setting the READMEs name
exists, every command of the CLI is documented, and `.env.example` lists every setting with its default,
commented in Chinese."""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
README_EN = ROOT / "README.en.md"
READMES = [README, README_EN]
ENV_EXAMPLE = ROOT / ".env.example"

# environment variables the READMEs may name besides the settings: where to find the settings, the
# compose file's database password, pip's own mirror setting, and the test suite's switches
OTHER_VARIABLES = {
    "LIANXIN_HOME", "POSTGRES_PASSWORD", "PIP_INDEX_URL",
    "LIANXIN_TEST_PG_URL", "LIANXIN_TEST_PLAIN_LIBRARIES", "LIANXIN_FUZZ_SEED", "LIANXIN_FUZZ_UPDATES", "TEST_WORKERS",
}
# words that tell a clerk nothing they can act on
JARGON = ["base_url", "base_file_url", "token appended", "Open311", "expected_datetime", "flush", "httpcore",
          "SQLAlchemy", "aiosqlite", "getMe", "pro-rata"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def code_lines(path: Path) -> list[str]:
    """Every line inside a fenced code block, and every inline code span."""
    text = path.read_text(encoding="utf-8")
    lines: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            lines.append(line)
        else:
            lines += re.findall(r"`([^`\n]+)`", line)
    return lines


def bot_commands(path: Path) -> list[list[str]]:
    """The arguments of every `python -m bot …` a README shows (a placeholder `…` left out)."""
    commands = []
    for line in code_lines(path):
        if "python -m bot" not in line:
            continue
        rest = line.split("python -m bot", 1)[1]
        rest = re.split(r"\s#|\s>|\s\|", rest, maxsplit=1)[0]  # a comment, a redirection, a pipe
        if "…" in rest or "<" in rest or not rest.strip():
            continue
        commands.append(shlex.split(rest))
    return commands


def leaf_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        return {prefix}
    found: set[tuple[str, ...]] = set()
    for name, sub in subparsers[0].choices.items():
        found |= leaf_commands(sub, (*prefix, name))
    return found


@pytest.mark.parametrize("path", READMES, ids=lambda p: p.name)
def test_every_bot_command_in_the_readme_parses(path: Path) -> None:
    commands = bot_commands(path)
    assert commands, f"{path.name} shows no python -m bot command"
    for args in commands:
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                build_parser().parse_args(args)
        except SystemExit as exc:
            assert exc.code == 0 and ("-h" in args or "--help" in args), (
                f"{path.name}: python -m bot {shlex.join(args)} is not a valid command:\n{out.getvalue()}")


def test_the_chinese_readme_shows_every_command() -> None:
    shown = {tuple(a for a in args if not a.startswith("-")) for args in bot_commands(README)}
    missing = []
    for leaf in sorted(leaf_commands(build_parser())):
        if not any(words[:len(leaf)] == leaf for words in shown):
            missing.append(" ".join(leaf))
    assert not missing, f"README.md shows no example of: {', '.join(missing)}"


@pytest.mark.parametrize("path", READMES, ids=lambda p: p.name)
def test_make_targets_in_the_readme_exist(path: Path) -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    named = {m for line in code_lines(path) for m in re.findall(r"(?:^|\s)make ([a-z][a-z-]*)", line)}
    assert {"run", "test"} <= named
    assert named <= targets, f"{path.name} names make targets that do not exist: {named - targets}"


@pytest.mark.parametrize("path", READMES, ids=lambda p: p.name)
def test_paths_in_the_readme_exist(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    tops = "bot|tests|docs|deploy|bench|handlers|scheduler|models|alembic|\\.ci"
    spans = re.findall(r"`([^`\s]+)`", text) + re.findall(r"\]\(([^)\s#]+)\)", text)
    named = {s for s in spans if re.match(rf"^(?:{tops})/[\w.*/-]+$", s)}
    named |= {s for s in spans if s in {"README.en.md", "README.md", ".env.example", "Dockerfile", "compose.yaml",
                                         "Makefile", "pyproject.toml"}}
    assert "deploy/lianxin.service" in named or path is README_EN
    missing = [p for p in sorted(named) if not list(ROOT.glob(p))]
    assert not missing, f"{path.name} names paths that do not exist: {missing}"


def test_the_readme_points_at_the_sample_files() -> None:
    text = README.read_text(encoding="utf-8")
    for sample in ("bot/data/roster_sample.csv", "tests/data/stations_sample.csv"):
        assert f"`{sample}`" in text
        assert (ROOT / sample).is_file()


@pytest.mark.parametrize("path", READMES, ids=lambda p: p.name)
def test_variables_in_the_readme_are_settings(path: Path) -> None:
    settings = {name.upper() for name in Settings.model_fields}
    named = set(re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", path.read_text(encoding="utf-8")))
    unknown = named - settings - OTHER_VARIABLES
    assert not unknown, f"{path.name} names settings that do not exist: {unknown}"


def quickstart(path: Path, heading: str) -> list[str]:
    """The commands of the quick start's code blocks, comments left out."""
    section = path.read_text(encoding="utf-8").split(heading, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    return [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_quickstart_is_the_same_in_both_readmes() -> None:
    chinese = quickstart(README, "## 快速开始")
    assert chinese == ["cp .env.example .env", "make run", "make test"]
    assert quickstart(README_EN, "## Quickstart") == chinese


def test_the_readme_explains_what_make_run_does_to_exit_code_3() -> None:
    text = README.read_text(encoding="utf-8")
    assert "`make run` 会把机器人的退出码变成 2" in text
    assert "`.venv/bin/python -m bot run`" in text and "`deploy/lianxin.service`" in text


def env_example_lines() -> list[str]:
    return ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()


def test_env_example_lists_every_setting_once() -> None:
    keys = [line.split("=", 1)[0] for line in env_example_lines() if line and not line.startswith("#")]
    assert len(keys) == len(set(keys)), "a setting is listed twice"
    assert set(keys) == {name.upper() for name in Settings.model_fields}


def test_env_example_values_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    from_file = Settings(_env_file=ENV_EXAMPLE).model_dump()
    defaults = Settings(_env_file=None).model_dump()

    def plain(value: object) -> object:  # an empty line in the file means "not set"
        value = value.get_secret_value() if hasattr(value, "get_secret_value") else value
        return None if value == "" else value

    assert {k: plain(v) for k, v in from_file.items()} == {k: plain(v) for k, v in defaults.items()}


def test_env_example_comments_are_chinese() -> None:
    english = [line for line in env_example_lines() if line.startswith("#") and not CJK.search(line)]
    assert not english, f"comment lines without Chinese: {english}"


def test_no_developer_jargon() -> None:
    comments = "\n".join(line for line in env_example_lines() if line.startswith("#"))  # values are what they are
    for name, text in (("README.md", README.read_text(encoding="utf-8")), (".env.example", comments)):
        assert [word for word in JARGON if word in text] == [], name
