"""`script lint`: the shipped scripts are clean; a copy seeded with violations fails with the rule ids."""

from __future__ import annotations

import shutil
from pathlib import Path

from dialogue.lint import lint
from dialogue.script import load_script


def _seed(tmp_path: Path, source: Path, replacements: list[tuple[str, str]]) -> Path:
    copy = tmp_path / source.name
    shutil.copytree(source, copy)
    domain = copy / "domain.yml"
    text = domain.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    domain.write_text(text, encoding="utf-8")
    return copy


def test_seeded_english_violations(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    copy = _seed(
        tmp_path,
        script_dirs["en"],
        [
            # E3 + T4: no automated-call notice, no opt-out instruction (COMPLIANCE.md test case 17)
            ("with an automated call. To stop these calls, say stop or press 9.", "calling you today."),
            # U8: debt talk before the right-party check
            ("I can only share the details with {first_name}.", "It is about the balance you owe."),
            # U9: the consumer's name and a debt word in the voicemail (test case 12)
            (
                "Hello, this is {agent_name} from {company}.",
                "Hello {first_name}, this is {agent_name} from {company} about your debt.",
            ),
            # C5: a threat
            ("our team will review it and contact you.", "our team will send the police."),
            # U7: the later-contact notice no longer says debt collector
            ("This call is from a debt collector.", "This call is from our office."),
        ],
    )
    findings = lint(load_script(copy))
    rules = {f.rule for f in findings}
    assert rules == {"E3", "T4", "U8", "U9", "C5", "U7"}
    assert all(f.path == "domain.yml" and f.line > 0 for f in findings)
    voicemail = [f for f in findings if f.rule == "U9"]
    assert any("{first_name}" in f.message for f in voicemail) and any(
        "'debt'" in f.message for f in voicemail
    )


def test_seeded_chinese_violations(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    copy = _seed(
        tmp_path,
        script_dirs["zh"],
        [
            ("具体内容只能告知{first_name}本人。", "他的欠款已经逾期了。"),
            ("理解您的情况。", "再不还就把您列入黑名单并起诉您。"),
            (
                "您好，我是{company}的{agent_name}，请回电{callback_number}。",
                "{first_name}您好，您的欠款已逾期，请回电{callback_number}。",
            ),
        ],
    )
    rules = {f.rule for f in lint(load_script(copy))}
    assert rules == {"C4", "C5", "U9"}


def test_opt_out_too_late_after_the_name(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    slow = (
        "with an automated call about something we would very much like to tell you today. "
        "To stop these calls, say stop or press 9."
    )
    copy = _seed(
        tmp_path,
        script_dirs["en"],
        [("with an automated call. To stop these calls, say stop or press 9.", slow)],
    )
    findings = lint(load_script(copy))
    assert [f.rule for f in findings] == ["T4"]
    assert "s after the name" in findings[0].message
