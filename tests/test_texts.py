"""The one text catalogue: every key the code uses exists, and every key in it is used.

Keys are found as string literals in the code (not in bot/texts.py). Some keys are built
at run time from a prefix and a code; those are listed here with where the code comes from.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot import texts

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [p for folder in ("bot", "handlers", "scheduler") for p in (ROOT / folder).rglob("*.py")
           if p != ROOT / "bot" / "texts.py"]
CODE = "\n".join(p.read_text(encoding="utf-8") for p in SOURCES)
LITERALS = set(re.findall(r"""["']([a-z][a-z0-9_]*)["']""", CODE))
# direct uses: t("key"), label("key"), plain, cli_text and the CLI's say/note/fail (not SQLAlchemy's .label())
CALLS = re.compile(r"""(?<![.\w])(t|label|plain|cli_text|say|note|fail)\(\s*["']([a-z][a-z0-9_]*)["']""")
# keys made at run time, as the code spells them: f"problem_{code}", f"{form}_timeout", f"help_{key}" …
PREFIXES = set(re.findall(r"""f["']([a-z][a-z0-9_]*_)\{""", CODE))
SUFFIXES = set(re.findall(r"""f["']\{[^}]+\}(_[a-z0-9_]+)["']""", CODE))
# the catalogue's own render helpers (render_reminder …) use keys too: calls and TEXTS["…"] there count
_CATALOGUE_CODE = (ROOT / "bot" / "texts.py").read_text(encoding="utf-8")
USED_BY_CATALOGUE = {key for _, key in CALLS.findall(_CATALOGUE_CODE)} | set(
    re.findall(r"""(?:TEXTS|BUTTONS|CLI)\[["']([a-z][a-z0-9_]*)["']\]""", _CATALOGUE_CODE))
# the form kit asks every form for these (handlers/forms.py: Form.text) …
KIT_SUFFIXES = ("busy", "expired", "timeout", "use_buttons", "text_expected")
# … and a form with a photo step for these too
KIT_TEXTS = set(re.findall(r"""self\.text\(\s*["']([a-z_]+)["']""", (ROOT / "handlers" / "forms.py").read_text()))


def catalogue() -> dict[str, str]:
    keys: dict[str, str] = {}
    for name in ("TEXTS", "BUTTONS", "CLI"):
        for key, value in getattr(texts, name, {}).items():
            keys[key] = value
    return keys


def forms() -> list[str]:
    import handlers  # noqa: F401 - every form registers itself when its module is imported
    from handlers import cases, log_activity, request  # noqa: F401
    from handlers.forms import FORMS

    return list(FORMS)


def test_every_key_the_code_uses_exists() -> None:
    keys = catalogue()
    missing = sorted({key for _, key in CALLS.findall(CODE) if key not in keys})
    assert missing == [], f"keys used but not in bot/texts.py: {missing}"
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
    assert unused == [], f"keys in bot/texts.py that nothing uses: {sorted(unused)}"


def test_values_are_escaped_and_templates_fill() -> None:
    assert texts.t("req_via_member", name="<b>x</b>", sector="a&b") == "您将向 <b>&lt;b&gt;x&lt;/b&gt;</b> 委员（a&amp;b）反映问题。"
