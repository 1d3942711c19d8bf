"""REC in the session, on the fake line in virtual time: the recording notice plays before the opening and
the recorder starts only once it has played to its end; a callee talking over it leaves no recording."""

from __future__ import annotations

import wave
from pathlib import Path

from dialer.sip.fake_engine import ScriptedCallee

from .fakes import Timeline, ToneSynthesizer, run_call, spec


def test_the_recorder_starts_when_the_notice_has_played(tmp_path: Path) -> None:
    path = tmp_path / "rec.wav"
    callee = ScriptedCallee(audio=Timeline([(7.0, "yes speaking")]).pcm())
    run = run_call(
        callee,
        replies=["yes speaking"],
        session_spec=spec(recording_notice=True, recording_path=str(path)),
    )
    r = run.report
    notice, opening = r.turns[0], r.turns[1]
    assert notice.text == "This call is recorded." and not notice.barged_in
    assert notice.end_s is not None and opening.start_s >= notice.end_s
    assert [(d.kind, d.complete) for d in r.disclosures][:2] == [
        ("recording_notice", True),
        ("opening", True),
    ]
    assert not r.recording_withheld and path.exists()
    with wave.open(str(path)) as w:
        seconds, channels = w.getnframes() / w.getframerate(), w.getnchannels()
    call_end = max(t.end_s or t.start_s for t in r.turns)
    assert channels == 2
    assert seconds <= call_end - notice.end_s + 0.5  # nothing from before the notice's end


def test_a_callee_talking_over_the_notice_leaves_no_recording(tmp_path: Path) -> None:
    path = tmp_path / "rec.wav"
    callee = ScriptedCallee(audio=Timeline([(1.0, "who is this calling me")]).pcm())
    run = run_call(
        callee,
        replies=["who is this calling me"],
        synthesizer=ToneSynthesizer(seconds_per_char=0.1),  # a notice of ~2 s: the callee cuts into it
        session_spec=spec(recording_notice=True, recording_path=str(path)),
    )
    r = run.report
    assert r.turns[0].text == "This call is recorded." and r.turns[0].barged_in
    assert (r.disclosures[0].kind, r.disclosures[0].complete) == ("recording_notice", False)
    assert r.recording_withheld and not path.exists()
    assert any(t.speaker == "bot" and "automated call" in t.text for t in r.turns)  # the call went on


def test_without_rec_nothing_changes(tmp_path: Path) -> None:
    callee = ScriptedCallee(audio=Timeline([(4.0, "yes speaking")]).pcm())
    run = run_call(callee, replies=["yes speaking"])
    r = run.report
    assert "automated call" in r.turns[0].text and not r.recording_withheld
    assert [d.kind for d in r.disclosures][:1] == ["opening"]


def test_the_promises_of_one_turn_are_a_plan_in_order() -> None:
    """Not REC, but the same report: a payment plan arrives as several promises in one reply."""
    import datetime as dt
    from decimal import Decimal

    from dialogue.interfaces import HangUp, RecordPromise, Say, SetDisposition

    first, rest = dt.date(2026, 12, 4), dt.date(2026, 12, 20)
    replies = [
        [Say("When can you pay?", "utter_ask_payment")],
        [
            Say("Fifty on the fourth, the rest on the twentieth. Goodbye.", "utter_confirm_plan"),
            SetDisposition("promise_to_pay"),
            RecordPromise(first, Decimal("50")),
            RecordPromise(rest, None),
            HangUp(),
        ],
    ]
    callee = ScriptedCallee(
        audio=Timeline([(4.0, "yes speaking"), (8.5, "fifty now and the rest later")]).pcm()
    )
    run = run_call(callee, replies=["yes speaking", "fifty now and the rest later"], policy_replies=replies)
    r = run.report
    assert r.disposition == "promise_to_pay"
    assert r.plan == ((first, Decimal("50")), (rest, None))
    assert (r.promise_date, r.promise_amount) == (first, Decimal("50"))  # the first part, as a single promise
