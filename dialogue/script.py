"""A call script: one Rasa 3.x project directory, read into plain frozen values with line numbers.

Layout: domain.yml, config.yml, data/nlu.yml, data/rules.yml, data/stories.yml, tests/test_stories.yml and
dialer.yml (what Rasa does not know: language, jurisdictions, which response opens the call, the keypad,
listening hints, the context the test stories run with). Structure problems found while reading become
findings for the validator; only unreadable YAML raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialogue import yamlines
from dialogue.yamlines import LDict, LList

_ANNOTATION = re.compile(r"\[([^\]]+)\]\((\w+)\)|\[([^\]]+)\]\{[^}]*\}")


@dataclass(frozen=True)
class Step:
    kind: str  # intent | action | slots | or
    value: str = ""
    options: tuple[str, ...] = ()
    slots: tuple[tuple[str, Any], ...] = ()
    user: str | None = None
    line: int = 0
    path: str = ""

    def matches_intent(self, intent: str) -> bool:
        return intent == self.value if self.kind == "intent" else intent in self.options


@dataclass(frozen=True)
class Flow:
    """A rule, a story or a test story."""

    name: str
    kind: str
    steps: tuple[Step, ...]
    condition: tuple[tuple[str, Any], ...] = ()
    conversation_start: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    path: str = ""
    line: int = 0


@dataclass(frozen=True)
class Variant:
    text: str | None
    custom: dict[str, Any]
    condition: tuple[tuple[str, Any], ...]
    line: int


@dataclass(frozen=True)
class Response:
    name: str
    variants: tuple[Variant, ...]
    path: str
    line: int


@dataclass(frozen=True)
class Slot:
    name: str
    type: str
    values: tuple[str, ...]
    influence: bool
    line: int


@dataclass(frozen=True)
class Example:
    intent: str
    text: str
    line: int


@dataclass(frozen=True)
class Problem:
    """A structural problem met while reading (reported by the validator)."""

    path: str
    line: int
    message: str


@dataclass
class Script:
    root: Path
    language: str = "en"
    meta: dict[str, Any] = field(default_factory=dict)
    intents: list[str] = field(default_factory=list)
    intent_lines: dict[str, int] = field(default_factory=dict)
    entities: list[str] = field(default_factory=list)
    slots: dict[str, Slot] = field(default_factory=dict)
    responses: dict[str, Response] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)
    rules: list[Flow] = field(default_factory=list)
    stories: list[Flow] = field(default_factory=list)
    tests: list[Flow] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.root.name

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def examples_by_intent(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for example in self.examples:
            out.setdefault(example.intent, []).append(example.text)
        return out

    @property
    def keypad(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in (self.meta.get("keypad") or {}).items()}

    @property
    def test_context(self) -> dict[str, Any]:
        return dict(self.meta.get("test_context") or {})


def strip_annotations(text: str) -> str:
    return _ANNOTATION.sub(lambda m: m.group(1) or m.group(3), text)


def load_script(root: Path) -> Script:
    """Read a script directory; see the module docstring for the layout."""
    root = Path(root).resolve()
    if not root.is_dir():
        from dialogue.interfaces import ScriptError

        raise ScriptError("not a script directory", str(root))
    script = Script(root=root.resolve())
    meta_path = root / "dialer.yml"
    if meta_path.is_file():
        script.meta = _mapping(script, meta_path, yamlines.load(meta_path))
    else:
        script.problems.append(Problem("dialer.yml", 0, "missing dialer.yml (language, opening, voicemail)"))
    script.language = str(script.meta.get("language", "en"))
    _read_domain(script, root / "domain.yml")
    config_path = root / "config.yml"
    if config_path.is_file():
        script.config = dict(_mapping(script, config_path, yamlines.load(config_path)))
    else:
        script.problems.append(Problem("config.yml", 0, "missing config.yml"))
    _read_nlu(script, root / "data" / "nlu.yml")
    script.rules = _read_flows(script, root / "data" / "rules.yml", "rules", "rule")
    script.stories = _read_flows(script, root / "data" / "stories.yml", "stories", "story")
    test_path = root / "tests" / "test_stories.yml"
    if test_path.is_file():
        script.tests = _read_flows(script, test_path, "stories", "test")
    return script


def _mapping(script: Script, path: Path, data: Any) -> LDict:
    if not isinstance(data, dict):
        script.problems.append(Problem(script.rel(path), yamlines.line_of(data, 1), "expected a mapping"))
        return LDict()
    return data if isinstance(data, LDict) else LDict(data)


def _read_domain(script: Script, path: Path) -> None:
    rel = script.rel(path)
    if not path.is_file():
        script.problems.append(Problem(rel, 0, "missing domain.yml"))
        return
    domain = _mapping(script, path, yamlines.load(path))
    for index, item in enumerate(domain.get("intents") or []):
        name = next(iter(item)) if isinstance(item, dict) else str(item)
        script.intents.append(name)
        lines = domain.get("intents")
        script.intent_lines[name] = lines.line_of(index) if isinstance(lines, LList) else domain.line
    script.entities = [str(e) for e in domain.get("entities") or []]
    script.actions = [str(a) for a in domain.get("actions") or []]
    slots = domain.get("slots") or {}
    for name, spec in slots.items():
        spec = spec if isinstance(spec, dict) else {}
        line = slots.line_of(name) if isinstance(slots, LDict) else 0
        script.slots[name] = Slot(
            name=name,
            type=str(spec.get("type", "any")),
            values=tuple(str(v) for v in spec.get("values") or ()),
            influence=bool(spec.get("influence_conversation", spec.get("type") == "categorical")),
            line=line,
        )
    responses = domain.get("responses") or {}
    for name, variants in responses.items():
        line = responses.line_of(name) if isinstance(responses, LDict) else 0
        parsed: list[Variant] = []
        if not isinstance(variants, list):
            script.problems.append(Problem(rel, line, f"response {name}: expected a list of variations"))
            continue
        for index, variant in enumerate(variants):
            vline = variants.line_of(index) if isinstance(variants, LList) else line
            if not isinstance(variant, dict):
                script.problems.append(Problem(rel, vline, f"response {name}: expected a mapping"))
                continue
            condition = tuple(
                (str(c.get("name")), c.get("value"))
                for c in variant.get("condition") or []
                if isinstance(c, dict)
            )
            text = variant.get("text")
            parsed.append(
                Variant(
                    text=str(text) if text is not None else None,
                    custom=dict(variant.get("custom") or {}),
                    condition=condition,
                    line=vline,
                )
            )
        script.responses[name] = Response(name, tuple(parsed), rel, line)


def _read_nlu(script: Script, path: Path) -> None:
    rel = script.rel(path)
    if not path.is_file():
        script.problems.append(Problem(rel, 0, "missing data/nlu.yml"))
        return
    data = _mapping(script, path, yamlines.load(path))
    for block in data.get("nlu") or []:
        if not isinstance(block, dict) or "intent" not in block:
            continue
        intent = str(block["intent"])
        raw = block.get("examples") or ""
        first = block.line_of("examples") + 1 if isinstance(block, LDict) else 0
        for offset, line in enumerate(str(raw).splitlines()):
            text = line.strip()
            if text.startswith("- "):
                script.examples.append(Example(intent, strip_annotations(text[2:].strip()), first + offset))


def _slot_pairs(value: Any) -> tuple[tuple[str, Any], ...]:
    pairs: list[tuple[str, Any]] = []
    for item in value or []:
        if isinstance(item, dict):
            if "slot_was_set" in item:
                pairs.extend(_slot_pairs(item["slot_was_set"]))
            else:
                pairs.extend((str(k), v) for k, v in item.items())
        else:
            pairs.append((str(item), None))
    return tuple(pairs)


def _read_flows(script: Script, path: Path, key: str, kind: str) -> list[Flow]:
    rel = script.rel(path)
    if not path.is_file():
        if kind != "test":
            script.problems.append(Problem(rel, 0, f"missing {rel}"))
        return []
    data = _mapping(script, path, yamlines.load(path))
    flows: list[Flow] = []
    for item in data.get(key) or []:
        if not isinstance(item, LDict):
            continue
        title = str(item.get("rule") or item.get("story") or "")
        if not title:
            script.problems.append(Problem(rel, item.line, f"a {kind} without a name"))
        steps: list[Step] = []
        raw_steps = item.get("steps") or []
        for index, raw in enumerate(raw_steps):
            line = raw_steps.line_of(index) if isinstance(raw_steps, LList) else item.line
            step = _step(raw, line, rel)
            if step is None:
                script.problems.append(Problem(rel, line, f"{kind} {title!r}: unknown step {raw!r}"))
            else:
                steps.append(step)
        flows.append(
            Flow(
                name=title,
                kind=kind,
                steps=tuple(steps),
                condition=_slot_pairs(item.get("condition")),
                conversation_start=bool(item.get("conversation_start", False)),
                metadata=dict(item.get("metadata") or {}),
                path=rel,
                line=item.line,
            )
        )
    return flows


def _step(raw: Any, line: int, rel: str) -> Step | None:
    if not isinstance(raw, dict):
        return None
    if "intent" in raw:
        user = raw.get("user")
        return Step(
            "intent",
            str(raw["intent"]),
            user=str(user).strip() if user is not None else None,
            line=line,
            path=rel,
        )
    if "action" in raw:
        return Step("action", str(raw["action"]), line=line, path=rel)
    if "slot_was_set" in raw:
        return Step("slots", slots=_slot_pairs(raw["slot_was_set"]), line=line, path=rel)
    if "or" in raw:
        options = tuple(str(o["intent"]) for o in raw["or"] or [] if isinstance(o, dict) and "intent" in o)
        return Step("or", options=options, line=line, path=rel) if options else None
    if "active_loop" in raw or "checkpoint" in raw:
        return None
    return None
