"""The checks on hand-built call facts: Chinese calls, the daemon's inspection job, rule-file errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from dialer.qa.inspect import evaluate, install_qa_job
from dialer.qa.rules import RuleFileError, load_rules
from scheduler.db import create_engine
from scheduler.inspection import CallFacts, FactTurn, PolicyStep
from scheduler.models import AuditChainEntry, QaInspection
from tests.qa.seed import CALLS, seed

T = dt.datetime(2026, 1, 12, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
OPENING = "您好，我们是北风服务，本电话为自动语音。如不希望再接到来电，请说“停止”或按9。"
RPC = "请问您是李明本人吗？是请按1，不是请按2。"
DISCLOSURE = "谢谢您，李明。本次来电是北风服务关于您账户的还款提醒，通话内容仅用于处理该账户事宜。"
REMINDER = "您有一笔1200.00元的款项，已于1月20日到期。"


def _facts(lines: list[tuple[str, str, str | None]], disposition: str, **extra: object) -> CallFacts:
    turns, t = [], 0.5
    for seq, (speaker, text, intent) in enumerate(lines, start=1):
        turns.append(FactTurn(seq, speaker, text, t, t + 2.0, intent))
        t += 2.5
    values: dict[str, object] = {
        "attempt_id": 1, "campaign": "zh", "script": "reminder-zh", "language": "zh", "country": "CN",
        "state": None, "disposition": disposition, "dialing_at": T,
        "answered_at": T + dt.timedelta(seconds=5),
        "ended_at": T + dt.timedelta(seconds=60), "amount_due": Decimal("1200.00"), "currency": "CNY",
        "turns": tuple(turns), "policy": (PolicyStep("policy.allow", "ALLOW", T - dt.timedelta(seconds=2)),),
        "zone": "Asia/Shanghai", "dials": (T,),
    }  # fmt: skip
    values.update(extra)
    return CallFacts(**values)  # type: ignore[arg-type]


def _rules_of(facts: CallFacts) -> set[str]:
    return {f.rule for f in evaluate(facts, load_rules()).findings}


def test_a_clean_chinese_call_has_no_finding() -> None:
    lines = [
        ("bot", OPENING, None), ("bot", RPC, None), ("callee", "是的，我是。", "affirm"),
        ("bot", DISCLOSURE, None), ("bot", REMINDER, None), ("bot", "请问您打算什么时候还款？", None),
        ("callee", "这笔钱我不欠，是搞错了。", "dispute"),
        ("bot", "明白，您对这笔款项有异议。我们已记录。再见。", None),
    ]  # fmt: skip
    result = evaluate(_facts(lines, "dispute"), load_rules())
    assert result.findings == [] and result.score == 100
    assert [d["kind"] for d in result.disclosures] == ["automated", "debt_collector"]


def test_chinese_violations_are_found() -> None:
    leak = [
        ("bot", OPENING, None), ("bot", RPC, None), ("callee", "不是，我是他爱人。", "third_party"),
        ("bot", "请转告他，欠款1200.00元已经逾期，不还就起诉。", None),
    ]  # fmt: skip
    assert _rules_of(_facts(leak, "third_party")) == {
        "debt_detail_third_party", "debt_detail_before_rpc", "forbidden_phrase",
    }  # fmt: skip
    not_honoured = [
        ("bot", OPENING, None), ("bot", RPC, None), ("callee", "是我。", "affirm"), ("bot", DISCLOSURE, None),
        ("bot", REMINDER, None), ("callee", "别打了，再打我就投诉你们。", None),
        ("bot", "请问您打算什么时候还款？", None),
    ]  # fmt: skip
    assert _rules_of(_facts(not_honoured, "no_response")) == {"request_honoured", "callee_distress"}


def test_a_dial_the_policy_denied_or_over_the_cap_is_found() -> None:
    lines = [
        ("bot", OPENING, None),
        ("callee", "停止。", "stop"),
        ("bot", "好的，我们不会再拨打这个号码。再见。", None),
    ]
    denied = _facts(lines, "opt_out", opted_out=True, policy=(PolicyStep("policy.deny", "WINDOW", T),))
    assert _rules_of(denied) == {"window_or_cap"}
    twice = _facts(lines, "opt_out", opted_out=True, dials=(T - dt.timedelta(hours=1), T))
    assert _rules_of(twice) == {"window_or_cap"}
    outside = _facts(lines, "opt_out", opted_out=True, window=("11:00", "17:00"))
    assert _rules_of(outside) == {"window_or_cap"}
    assert _rules_of(_facts(lines, "opt_out", opted_out=True)) == set()
    assert _rules_of(_facts(lines, "opt_out", opted_out=False)) == {"request_honoured"}  # no DNC entry


def test_a_rule_file_with_a_bad_severity_names_its_line(tmp_path: Path) -> None:
    from dialer.qa.rules import DEFAULT_RULES

    text = DEFAULT_RULES.read_text().replace("severity: minor", "severity: trivial", 1)
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(RuleFileError) as caught:
        load_rules(path)
    line = next(i for i, s in enumerate(text.splitlines(), start=1) if "severity: trivial" in s)
    assert caught.value.line in (line - 1, line) and "severity" in str(caught.value)


def test_the_daemon_job_inspects_new_calls(sqlite_url: str, tmp_path: Path) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    seed(sqlite_url, tmp_path / "data", tmp_path, CALLS[:2])
    engine = create_engine(sqlite_url)
    scheduler = BackgroundScheduler(timezone=dt.UTC)
    try:
        job = install_qa_job(scheduler, engine, tmp_path / "scripts")
        assert job.id == "qa_pass"
        job.func()
        with engine.connect() as conn:
            assert conn.scalar(sa.select(sa.func.count(QaInspection.id))) == 2
            assert conn.scalar(sa.select(sa.func.count(AuditChainEntry.id))) > 2
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_passes_at_once_inspect_each_call_once(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    import threading

    from dialer.qa.inspect import run_pass
    from scheduler import audit_chain

    url = str(request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url"))
    seed(url, tmp_path / "data", tmp_path, CALLS[:4])
    engines = [create_engine(url), create_engine(url)]
    errors: list[BaseException] = []

    def run(engine: sa.Engine) -> None:
        try:
            run_pass(engine, load_rules())
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        with engines[0].connect() as conn:
            assert conn.scalar(sa.select(sa.func.count(QaInspection.id))) == 4
            sealed = conn.execute(
                sa.select(AuditChainEntry.kind, AuditChainEntry.source_id).where(
                    AuditChainEntry.kind.in_(("audit", "recording"))
                )
            ).all()
        assert len(sealed) == len(set(sealed))  # each audit row and recording sealed once
        assert audit_chain.verify(engines[0]).ok
    finally:
        for e in engines:
            e.dispose()


def test_an_opening_spoken_as_one_turn_is_judged_by_its_sentence_order() -> None:
    """The session speaks the opening's sentences as one bot turn: notice, then the right-party question."""
    one_turn = [
        ("bot", OPENING + RPC, None), ("callee", "是的，我是。", "affirm"),
        ("bot", DISCLOSURE, None), ("bot", REMINDER, None), ("bot", "请问您打算什么时候还款？", None),
        ("callee", "这笔钱我不欠，是搞错了。", "dispute"),
        ("bot", "明白，您对这笔款项有异议。我们已记录。再见。", None),
    ]  # fmt: skip
    assert "disclosure_automated" not in _rules_of(_facts(one_turn, "dispute"))
    question_first = [("bot", RPC + OPENING, None), *one_turn[1:]]
    assert "disclosure_automated" in _rules_of(_facts(question_first, "dispute"))


def _timed(lines: list[tuple[str, str, str | None, float, float]]) -> CallFacts:
    turns = tuple(
        FactTurn(seq, who, text, a, b, intent) for seq, (who, text, intent, a, b) in enumerate(lines, 1)
    )
    return _facts([], "dispute", turns=turns)


CUT_OPENING = ("bot", OPENING + RPC, None, 0.5, 2.0)  # cut at 1.5 s by the callee's question
WHO = ("callee", "请问你是谁？", "ask_who", 1.5, 2.5)
REST = [
    ("callee", "是的，我是。", "affirm", 12.5, 13.5),
    ("bot", DISCLOSURE, None, 14.0, 18.0),
    ("bot", REMINDER, None, 18.2, 21.0),
    ("callee", "这笔钱我不欠，是搞错了。", "dispute", 22.0, 24.0),
    ("bot", "明白，您对这笔款项有异议。我们已记录。再见。", None, 24.5, 28.0),
]


def test_an_automated_notice_cut_then_said_again_before_confirmation_is_no_finding() -> None:
    again = ("bot", "这是北风服务的自动语音助手。" + RPC, None, 3.5, 11.5)
    assert "disclosure_automated" not in _rules_of(_timed([CUT_OPENING, WHO, again, *REST]))


def test_an_automated_notice_cut_and_never_said_whole_is_a_finding() -> None:
    without = ("bot", "我们是北风服务。" + RPC, None, 3.5, 11.5)
    assert "disclosure_automated" in _rules_of(_timed([CUT_OPENING, WHO, without, *REST]))
    late = [
        CUT_OPENING,
        WHO,
        ("bot", RPC, None, 3.5, 11.5),
        REST[0],
        ("bot", "这是自动语音。", None, 13.6, 13.9),
    ]
    assert "disclosure_automated" in _rules_of(_timed([*late, *REST[1:]]))
