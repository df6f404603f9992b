"""The Mermaid diagrams in docs/ stay true to the code.

Every form registered on the form kit (`handlers.forms.FORMS`) has a diagram, named in
DIAGRAMS below, whose UPPER_CASE nodes are exactly its `Step` members by name, each drawn
with a label and with an arrow in and an arrow out; lowercase nodes are the rest (start,
saved, cancelled, timeout …). Every other docs/*.mmd is claimed by a form, except the case
lifecycle, whose states are `CaseStatus`'s values and whose arrows are exactly the (from,
to) pairs of the lifecycle table `bot.services.cases.TRANSITIONS`.

The forms are found through FORMS and each form's `steps` enum, never by a module's name,
so a form moved to another module under handlers/ needs no change here.

The parser reads the small part of Mermaid the diagrams use and refuses any other line, so
a diagram written in a way it does not understand fails instead of passing unread:
- flowchart: `id`, `id[label]` (also `(…)`, `([…])`, `{…}` and other bracketed shapes), several
  joined by `&`, linked by `-->`, `-.->`, `==>`, `---`, `-.-` or `===`, each with an optional
  `|label|`; `classDef`, `class`, `style`, `linkStyle` and `click` lines are skipped.
- stateDiagram-v2: `a --> b` or `a --> b: label` (`[*]` for start and end), `a: description`,
  `state "description" as a`, and `direction`.
Lines starting with %% are comments. A ';' outside quotes is refused: Mermaid ends a statement
there and reads the rest of a label as new states.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.services.lifecycle import TRANSITIONS
from models import CaseStatus

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# form name (Form.name) -> its diagram in docs/; a new form fails until it has one here
DIAGRAMS = {
    "log": "log_activity.mmd",
    "req": "request.mmd",
    "ca": "case_action.mmd",
    "bc": "broadcast.mmd",
    "rcv": "reception.mmd",
}
LIFECYCLE = "case_lifecycle.mmd"  # bot/services/lifecycle.py, not a form

STEP_ID = re.compile(r"[A-Z][A-Z0-9_]*")
OTHER_ID = re.compile(r"[a-z][a-z0-9_]*")


def forms() -> dict:
    """Every registered form by name: each form registers itself when its module is imported."""
    import handlers

    for module in pkgutil.iter_modules(handlers.__path__):
        importlib.import_module(f"handlers.{module.name}")
    from handlers.forms import FORMS

    return dict(FORMS)


# --- the parser ---------------------------------------------------------------------------------------


class DiagramError(Exception):
    pass


@dataclass
class Diagram:
    kind: str  # "flowchart" or "state"
    declared: set[str] = field(default_factory=set)  # nodes drawn with a label (a shape or a description)
    nodes: set[str] = field(default_factory=set)  # every node named anywhere
    arrows: set[tuple[str, str]] = field(default_factory=set)

    def steps(self) -> set[str]:
        return {n for n in self.nodes if STEP_ID.fullmatch(n)}


FLOW_HEADER = re.compile(r"(flowchart|graph)\s+(TD|TB|BT|LR|RL)")
FLOW_SKIPPED = re.compile(r"(classDef|class|style|linkStyle|click)\s")
FLOW_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
FLOW_ARROW = re.compile(r"\s*(-\.->|-->|==>|-\.-|---|===)\s*(\|[^|]*\|)?\s*")
STATE_ID = r"(\[\*\]|[A-Za-z_][A-Za-z0-9_]*)"
STATE_ARROW = re.compile(rf"{STATE_ID}\s*-->\s*{STATE_ID}\s*(:.*)?")
STATE_DESCRIBED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*:.*")
STATE_DECLARED = re.compile(r'state\s+"[^"]*"\s+as\s+([A-Za-z_][A-Za-z0-9_]*)')


def parse(text: str) -> Diagram:
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("%%")]
    if not lines:
        raise DiagramError("empty diagram")
    for line in lines:
        if ";" in re.sub(r'"[^"]*"', "", line):  # Mermaid ends a statement there: the rest is read as new nodes
            raise DiagramError(f"';' outside quotes in {line!r}")
    header, body = lines[0], lines[1:]
    if FLOW_HEADER.fullmatch(header):
        diagram = Diagram("flowchart")
        for line in body:
            if not FLOW_SKIPPED.match(line):
                _flow_statement(line, diagram)
    elif header == "stateDiagram-v2":
        diagram = Diagram("state")
        for line in body:
            _state_statement(line, diagram)
    else:
        raise DiagramError(f"not a flowchart or stateDiagram-v2: {header!r}")
    for node in diagram.nodes:
        if not (STEP_ID.fullmatch(node) or OTHER_ID.fullmatch(node)):
            raise DiagramError(f"node {node!r} is neither UPPER_CASE (a step) nor lowercase")
    return diagram


def _shape_end(line: str, at: int) -> int:
    """Where the bracketed shape starting at `at` ends (past its closing bracket); `at` when there is none."""
    if at >= len(line) or line[at] not in "[({":
        return at
    depth, quoted = 0, False
    for i in range(at, len(line)):
        char = line[i]
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char in "[({":
            depth += 1
        elif char in "])}":
            depth -= 1
            if depth == 0:
                return i + 1
    raise DiagramError(f"unclosed shape in {line!r}")


def _flow_group(line: str, at: int, diagram: Diagram) -> tuple[list[str], int]:
    """`a[…] & b & c(…)` from `at`: the node ids and where the group ends."""
    ids = []
    while True:
        match = FLOW_ID.match(line, at)
        if match is None:
            raise DiagramError(f"a node id expected at {line[at:]!r} in {line!r}")
        node, at = match.group(), match.end()
        end = _shape_end(line, at)
        if end > at:
            diagram.declared.add(node)
        at = end
        ids.append(node)
        diagram.nodes.add(node)
        amp = re.compile(r"\s*&\s*").match(line, at)
        if amp is None:
            return ids, at
        at = amp.end()


def _flow_statement(line: str, diagram: Diagram) -> None:
    sources, at = _flow_group(line, 0, diagram)
    while at < len(line):
        arrow = FLOW_ARROW.match(line, at)
        if arrow is None:
            raise DiagramError(f"an arrow expected at {line[at:]!r} in {line!r}")
        targets, at = _flow_group(line, arrow.end(), diagram)
        diagram.arrows |= {(a, b) for a in sources for b in targets}
        sources = targets


def _state_statement(line: str, diagram: Diagram) -> None:
    if re.fullmatch(r"direction\s+(TB|BT|LR|RL)", line):
        return
    if arrow := STATE_ARROW.fullmatch(line):
        a, b = arrow.group(1), arrow.group(2)
        diagram.nodes |= {a, b} - {"[*]"}
        if "[*]" not in (a, b):
            diagram.arrows.add((a, b))
        return
    described = STATE_DESCRIBED.fullmatch(line) or STATE_DECLARED.fullmatch(line)
    if described is None:
        raise DiagramError(f"not understood: {line!r}")
    diagram.nodes.add(described.group(1))
    diagram.declared.add(described.group(1))


def read(name: str) -> Diagram:
    path = DOCS / name
    assert path.is_file(), f"docs/{name} is missing"
    return parse(path.read_text(encoding="utf-8"))


# --- the forms ----------------------------------------------------------------------------------------


def test_every_form_has_a_diagram_and_every_diagram_a_form() -> None:
    registered = forms()
    assert set(registered) == set(DIAGRAMS), (
        f"forms without a diagram in DIAGRAMS: {sorted(set(registered) - set(DIAGRAMS))}; "
        f"DIAGRAMS names forms that are gone: {sorted(set(DIAGRAMS) - set(registered))}"
    )
    on_disk = {path.name for path in DOCS.glob("*.mmd")} - {LIFECYCLE}
    unclaimed = on_disk - set(DIAGRAMS.values())
    assert not unclaimed, f"docs/ diagrams no form claims (add them to DIAGRAMS): {sorted(unclaimed)}"


@pytest.mark.parametrize("name", sorted(DIAGRAMS))
def test_a_form_diagram_draws_exactly_the_forms_steps(name: str) -> None:
    form = forms().get(name)
    assert form is not None, f"no registered form {name!r}"
    diagram = read(DIAGRAMS[name])
    steps = {step.name for step in form.steps}
    drawn = diagram.steps()
    assert drawn == steps, (
        f"docs/{DIAGRAMS[name]}: steps not drawn {sorted(steps - drawn)}, "
        f"drawn but not steps {sorted(drawn - steps)}"
    )
    unlabelled = drawn - diagram.declared
    assert not unlabelled, f"docs/{DIAGRAMS[name]}: steps used but never drawn with a label: {sorted(unlabelled)}"
    for step in sorted(steps):
        assert any(b == step for _, b in diagram.arrows), f"docs/{DIAGRAMS[name]}: no arrow into {step}"
        assert any(a == step for a, _ in diagram.arrows), f"docs/{DIAGRAMS[name]}: no arrow out of {step}"


@pytest.mark.parametrize("name", sorted(DIAGRAMS))
def test_the_form_module_points_to_its_diagram(name: str) -> None:
    form = forms()[name]
    module = sys.modules[form.steps.__module__]
    assert f"(flow diagram: docs/{DIAGRAMS[name]})" in (module.__doc__ or ""), (
        f"{module.__name__}'s docstring should say (flow diagram: docs/{DIAGRAMS[name]})"
    )


# --- the case lifecycle -------------------------------------------------------------------------------


def test_the_lifecycle_diagram_draws_exactly_the_transitions_table() -> None:
    diagram = read(LIFECYCLE)
    assert diagram.kind == "state"
    statuses = {status.value for status in CaseStatus}
    assert diagram.nodes == statuses, (
        f"docs/{LIFECYCLE}: states not drawn {sorted(statuses - diagram.nodes)}, "
        f"drawn but not a CaseStatus {sorted(diagram.nodes - statuses)}"
    )
    table = {(CaseStatus(a).value, CaseStatus(b).value) for (a, _, _), b in TRANSITIONS.items()}
    assert diagram.arrows == table, (
        f"docs/{LIFECYCLE}: moves not drawn {sorted(table - diagram.arrows)}, "
        f"drawn but not in TRANSITIONS {sorted(diagram.arrows - table)}"
    )


# --- the parser itself --------------------------------------------------------------------------------


def test_the_parser_reads_shapes_labels_and_groups() -> None:
    diagram = parse(
        "%% a comment naming NOT_A_STEP\n"
        "flowchart TD\n"
        "    start([/go or 📝 开始]) -->|a label with UPPER_WORDS| ONE[ONE: a (nested) label]\n"
        '    ONE --> check{"is it {x}?"} -.->|yes| TWO(TWO) & THREE\n'
        "    TWO & THREE ==> saved([saved])\n"
    )
    assert diagram.steps() == {"ONE", "TWO", "THREE"}
    assert diagram.declared == {"start", "ONE", "check", "TWO", "saved"}
    assert ("check", "THREE") in diagram.arrows and ("THREE", "saved") in diagram.arrows


@pytest.mark.parametrize("text", [
    "flowchart TD\n    A[open --> B\n",  # an unclosed shape
    "flowchart TD\n    A -- text --> B\n",  # a label form the parser does not read
    "flowchart TD\n    subgraph X\n    A --> B\n    end\n",
    "flowchart TD\n    Kind --> DATE\n",  # neither a step nor a lowercase node
    "sequenceDiagram\n    A->>B: hi\n",
    "stateDiagram-v2\n    a -> b\n",
    "stateDiagram-v2\n    a --> b: first; then\n",  # Mermaid would read `then` as a state
])
def test_the_parser_refuses_what_it_does_not_read(text: str) -> None:
    with pytest.raises(DiagramError):
        parse(text)
