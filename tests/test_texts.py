"""The one text catalogue: every key the code uses exists, every key in it is used, and each is written once.

Keys are found as string literals in the code (not in the catalogue package bot/texts/). Some
keys are built at run time from a prefix and a code; those are listed here with where the code
comes from.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot import texts

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "bot" / "texts"
CATALOGUE_FILES = sorted(PACKAGE.glob("*.py"))
SOURCES = [p for folder in ("bot", "handlers", "scheduler") for p in (ROOT / folder).rglob("*.py")
           if PACKAGE not in p.parents]
CODE = "\n".join(p.read_text(encoding="utf-8") for p in SOURCES)
LITERALS = set(re.findall(r"""["']([a-z][a-z0-9_]*)["']""", CODE))
# direct uses: t("key"), label("key"), plain, cli_text, log_line and the CLI's say/note/fail (not SQLAlchemy's .label())
CALLS = re.compile(r"""(?<![.\w])(t|label|plain|cli_text|log_line|say|note|fail)\(\s*["']([a-z][a-z0-9_]*)["']""")
# which merged dict each of those reads
READS = {"t": "TEXTS", "plain": "TEXTS", "label": "BUTTONS", "cli_text": "CLI", "say": "CLI", "note": "CLI",
         "fail": "CLI", "log_line": "LOG_LINES"}
# the catalogue's own render helpers (render_reminder …) use keys too: calls and TEXTS["…"] there count
_CATALOGUE_CODE = "\n".join(p.read_text(encoding="utf-8") for p in CATALOGUE_FILES)
# keys made at run time (the code's and the catalogue's own render helpers', e.g. case_problem's f"case_{code}")
PREFIXES = set(re.findall(r"""f["']([a-z][a-z0-9_]*_)\{""", CODE + _CATALOGUE_CODE))
SUFFIXES = set(re.findall(r"""f["']\{[^}]+\}(_[a-z0-9_]+)["']""", CODE + _CATALOGUE_CODE))
USED_BY_CATALOGUE = {key for _, key in CALLS.findall(_CATALOGUE_CODE)} | set(
    re.findall(r"""(?:TEXTS|BUTTONS|CLI)\[["']([a-z][a-z0-9_]*)["']\]""", _CATALOGUE_CODE))
# the form kit asks every form for these (handlers/forms.py: Form.text) …
KIT_SUFFIXES = ("busy", "expired", "timeout", "use_buttons", "text_expected")
# … and a form with a photo step for these too
KIT_TEXTS = set(re.findall(r"""self\.text\(\s*["']([a-z_]+)["']""", (ROOT / "handlers" / "forms.py").read_text()))
# the dicts the package merges from its feature modules
MERGED = ("TEXTS", "BUTTONS", "CLI", "LOG_LINES", "FORM_STEPS")


def catalogue() -> dict[str, str]:
    keys: dict[str, str] = {}
    for name in ("TEXTS", "BUTTONS", "CLI", "LOG_LINES"):
        for key, value in getattr(texts, name).items():
            keys[key] = value
    return keys


def forms() -> list[str]:
    import handlers  # noqa: F401 - every form registers itself when its module is imported
    from handlers import cases, log_activity, request  # noqa: F401
    from handlers.forms import FORMS

    return list(FORMS)


def test_every_key_the_code_uses_exists() -> None:
    missing = sorted({f"{READS[call]}[{key!r}]" for call, key in CALLS.findall(CODE + _CATALOGUE_CODE)
                      if key not in getattr(texts, READS[call])})
    assert missing == [], f"keys used but not in the catalogue (bot/texts/): {missing}"
    keys = texts.TEXTS
    for form in forms():
        for suffix in KIT_SUFFIXES:
            assert f"{form}_{suffix}" in keys, f"form {form!r} lacks its {suffix!r} text"
    for form, steps in texts.FORM_STEPS.items():
        assert form in forms(), f"FORM_STEPS names an unknown form {form!r}"
        if "photos" in steps:
            for suffix in KIT_TEXTS - set(KIT_SUFFIXES):
                assert f"{form}_{suffix}" in keys, f"form {form!r} has photos but lacks {suffix!r}"


def made_from_code(key: str, depth: int = 0) -> bool:
    """`key` is a literal in the code, or a run-time prefix/suffix around something that is."""
    if key in LITERALS or key in USED_BY_CATALOGUE:
        return True
    if depth > 3:
        return False
    return any(key.startswith(p) and made_from_code(key[len(p):], depth + 1) for p in PREFIXES) or any(
        key.endswith(s) and made_from_code(key[: -len(s)], depth + 1) for s in SUFFIXES)


def test_every_key_in_the_catalogue_is_used() -> None:
    form_keys = {f"{form}_{suffix}" for form in forms() for suffix in (*KIT_SUFFIXES, *KIT_TEXTS)}
    unused = [key for key in catalogue() if key not in form_keys and not made_from_code(key)]
    assert unused == [], f"keys in bot/texts/ that nothing uses: {sorted(unused)}"


def test_values_are_escaped_and_templates_fill() -> None:
    assert texts.t("req_via_member", name="<b>x</b>", sector="a&b") == "您将向 <b>&lt;b&gt;x&lt;/b&gt;</b> 委员（a&amp;b）反映问题。"


# --- each key is written once --------------------------------------------------------------------


def test_merge_refuses_a_key_two_modules_define() -> None:
    parts = [("bot.texts.one", {"a": "1", "same": "x"}), ("bot.texts.two", {"b": "2", "same": "y"})]
    with pytest.raises(texts.DuplicateKey) as raised:
        texts.merge("TEXTS", parts)
    assert str(raised.value) == "TEXTS['same'] is defined in both bot.texts.one and bot.texts.two"
    assert texts.merge("TEXTS", parts[:1] + [("bot.texts.two", {"b": "2"})]) == {"a": "1", "same": "x", "b": "2"}


def test_the_merged_dicts_are_every_module_part() -> None:
    for name in MERGED:
        parts = [(m.__name__, getattr(m, name)) for m in texts.FEATURES if hasattr(m, name)]
        assert texts.merge(name, parts) == getattr(texts, name), name
        assert sum(len(part) for _, part in parts) == len(getattr(texts, name)), name
    feature_files = {Path(m.__file__) for m in texts.FEATURES}
    assert feature_files == set(CATALOGUE_FILES) - {PACKAGE / "__init__.py", PACKAGE / "catalogue.py"}, (
        "every feature module is listed in bot.texts.FEATURES")


def _literal_keys(node: ast.Dict) -> list:
    return [key.value for key in node.keys if isinstance(key, ast.Constant)]


def test_no_key_is_written_twice() -> None:
    """Inside one dict literal (Python keeps the last silently), or in two modules' parts of a merged dict."""
    owners: dict[tuple[str, object], str] = {}
    twice: list[str] = []
    for path in CATALOGUE_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                keys = _literal_keys(node)
                twice += [f"{path.name}:{node.lineno}: {key!r}" for key in dict.fromkeys(keys) if keys.count(key) > 1]
        for stmt in tree.body:
            target = stmt.target if isinstance(stmt, ast.AnnAssign) else stmt.targets[0] if (
                isinstance(stmt, ast.Assign) and len(stmt.targets) == 1) else None
            if isinstance(target, ast.Name) and target.id in MERGED and isinstance(stmt.value, ast.Dict):
                for key in dict.fromkeys(_literal_keys(stmt.value)):
                    if (target.id, key) in owners:
                        twice.append(f"{target.id}[{key!r}] in {owners[target.id, key]} and {path.name}")
                    owners[target.id, key] = path.name
    assert twice == []


def test_no_module_patches_the_catalogue() -> None:
    """Each dict is one literal: no module-level statement updates, inserts into or assigns to an item of one."""
    mutators = {"update", "insert", "append", "extend", "setdefault"}
    patches: list[str] = []
    for path in CATALOGUE_FILES:
        for stmt in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
                continue
            targets = stmt.targets if isinstance(stmt, ast.Assign) else (
                [stmt.target] if isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) else [])
            if any(isinstance(target, ast.Subscript) for target in targets):
                patches.append(f"{path.name}:{stmt.lineno}")
            patches += [f"{path.name}:{node.lineno}" for node in ast.walk(stmt) if isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute) and node.func.attr in mutators]
    assert patches == []


def test_each_role_menu_names_a_command_once_and_ends_with_help_and_cancel() -> None:
    for role, menu in texts.COMMANDS.items():
        commands = [command for command, _ in menu]
        assert len(commands) == len(set(commands)), role
        assert commands[-2:] == ["help", "cancel"], role
