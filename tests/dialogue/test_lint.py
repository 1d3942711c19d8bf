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
    assert rules == {"C4", "C5", "C5-legal", "U9"}


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


def test_threats_to_tell_others_fire(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    en = _seed(
        tmp_path / "en",
        script_dirs["en"],
        [
            (
                'Goodbye."\n    custom:\n      disposition: cannot_pay',
                'Or we will call your employer."\n    custom:\n      disposition: cannot_pay',
            )
        ],
    )
    assert {f.rule for f in lint(load_script(en))} == {"C5-contact"}
    zh = _seed(tmp_path / "zh", script_dirs["zh"], [("理解您的情况。", "不还的话我们会通知您的家人。")])
    assert {f.rule for f in lint(load_script(zh))} == {"C5-contact"}


def test_false_urgency_fires(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    en = _seed(
        tmp_path / "en",
        script_dirs["en"],
        [('When will you be able to make this payment?"', 'This is your final warning. When will you pay?"')],
    )
    findings = lint(load_script(en))
    assert {f.rule for f in findings} == {"C5-urgency"}
    assert "final warning" in findings[0].message
    zh = _seed(
        tmp_path / "zh",
        script_dirs["zh"],
        [('请问您打算什么时候还款？"', '这是最后通知，请问您打算什么时候还款？"')],
    )
    assert {f.rule for f in lint(load_script(zh))} == {"C5-urgency"}


def test_unapproved_legal_action_fires_unless_the_campaign_approves_it(
    tmp_path: Path, script_dirs: dict[str, Path]
) -> None:
    copy = _seed(
        tmp_path,
        script_dirs["en"],
        [('When will you be able to make this payment?"', 'We may garnish your wages. When can you pay?"')],
    )
    findings = lint(load_script(copy))
    assert {f.rule for f in findings} == {"C5-legal"}
    assert "garnishment" in findings[0].message and findings[0].path == "domain.yml" and findings[0].line > 0
    meta = copy / "dialer.yml"
    meta.write_text(meta.read_text() + "approved_legal_actions: [garnishment]\n")
    assert lint(load_script(copy)) == []


def test_debt_talk_before_the_disclosure_fires(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    """After the right party confirmed, the reminder before the debt-collector notice is U7-order."""
    copy = tmp_path / "reminder-en"
    shutil.copytree(script_dirs["en"], copy)
    rules = copy / "data" / "rules.yml"
    text = rules.read_text(encoding="utf-8")
    good = "  - intent: affirm\n  - action: utter_disclosure\n  - action: utter_reminder\n"
    assert good in text
    rules.write_text(
        text.replace(
            good, "  - intent: affirm\n  - action: utter_reminder\n  - action: utter_disclosure\n", 1
        ),
        encoding="utf-8",
    )
    findings = [f for f in lint(load_script(copy)) if f.rule == "U7-order"]
    assert len(findings) == 1
    assert findings[0].path == "data/rules.yml"
    assert "utter_reminder" in findings[0].message


def test_opening_without_the_business_name_fires_t3(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    copy = _seed(
        tmp_path,
        script_dirs["en"],
        [("Hello, this is {company}, with an automated call.", "Hello, this is an automated call.")],
    )
    findings = lint(load_script(copy))
    assert [f.rule for f in findings] == ["T3"]
    assert "business" in findings[0].message and findings[0].path == "domain.yml"
