"""A call's SIP result and session report -> the ledger's `CallOutcome` (number status included).

The supervisor calls `to_outcome` when a worker hands a result back, and `interrupted_outcome` when a
worker died with the call; `scheduler.results.record_outcome` writes either in one fenced transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from dialer.numberstatus import Classification, classify_number, detect_sit, transcribe_announcement
from dialer.session.report import SessionReport
from dialer.sip.dispositions import HISTORY
from dialer.sip.interfaces import CallResult
from scheduler.outcomes import CallOutcome, DisclosureOutcome, PromiseOutcome, TurnOutcome
from scheduler.vocabulary import Disposition, HistoryResult
from voice.interfaces import Recognizer

log = logging.getLogger(__name__)

CONVERSATION = frozenset(
    {
        Disposition.promise_to_pay,
        Disposition.already_paid,
        Disposition.dispute,
        Disposition.cannot_pay,
        Disposition.callback_requested,
        Disposition.transferred,
        Disposition.opt_out,
        # the consumer spoke about the debt: a conversation (U4 locks it), the account flag holds the rest
        Disposition.attorney,
        Disposition.bankruptcy,
        Disposition.cease,
        Disposition.complaint,
    }
)
_HISTORY_OF = {
    Disposition.wrong_party: HistoryResult.wrong_party,
    Disposition.refused: HistoryResult.refused,
    Disposition.no_response: HistoryResult.no_answer,  # nobody spoke: not a conversation about the debt
    Disposition.voicemail_left: HistoryResult.voicemail,
    Disposition.machine_no_message: HistoryResult.voicemail,
    # someone answered, but no conversation with the consumer about the debt took place: a placed call
    Disposition.deceased: HistoryResult.refused,
    Disposition.third_party: HistoryResult.refused,
    Disposition.language_barrier: HistoryResult.refused,
}


def history_result(disposition: Disposition) -> HistoryResult:
    """The compliance history's coarser result for a disposition."""
    if disposition in CONVERSATION:
        return HistoryResult.conversation
    if disposition in _HISTORY_OF:
        return _HISTORY_OF[disposition]
    return HistoryResult(HISTORY.get(disposition.value, "failed"))


def classify_result(
    result: CallResult, report: SessionReport | None, recognizer: Recognizer | None = None
) -> Classification:
    """Number status of an ended call: SIP code, SIT in the early media, the carrier's announcement (the
    session's transcript, or with `recognizer` the early media of a call that never reached a session)."""
    sit = detect_sit(result.early_media, result.rate) if result.early_media else None
    announcement = report.announcement if report is not None else ""
    if not announcement and recognizer is not None and not result.answered:
        announcement = transcribe_announcement(recognizer, result.early_media, result.rate, sit) or ""
    return classify_number(
        sip_code=result.sip_code,
        sip_result=result.result,
        answered=result.answered,
        sit=sit,
        announcement=announcement,
    )


def _person_spoke(report: SessionReport | None) -> bool:
    return (
        report is not None
        and report.machine == "human"
        and any(t.speaker == "callee" and t.text.strip() for t in report.turns)
    )


def _session_disposition(result: CallResult, report: SessionReport | None) -> tuple[Disposition, str]:
    """The answered call's disposition from the session's report; an unusable report is said so."""
    if report is None:
        return Disposition.no_response, "the session returned no report"
    if report.disposition:
        try:
            return Disposition(report.disposition), ""
        except ValueError:
            return Disposition.no_response, "the session reported an unknown disposition"
    if report.voicemail_left:
        return Disposition.voicemail_left, ""
    if report.machine == "machine":
        return Disposition.machine_no_message, ""
    if report.transferred_to:
        return Disposition.transferred, ""
    return Disposition.no_response, ""


def _relative(recording: str | None, data_dir: Path) -> str | None:
    if not recording:
        return None
    root = data_dir.resolve()
    path = Path(recording)
    path = (path if path.is_absolute() else root / path).resolve()
    if not path.is_relative_to(root):
        log.warning("a recording outside the data directory is not recorded in the ledger")
        return None
    return path.relative_to(root).as_posix()


def _answered_at(result: CallResult, ended_at: dt.datetime) -> dt.datetime | None:
    if not result.answered:
        return None
    t = result.timings
    if t.answered is not None and t.ended >= t.answered:
        return ended_at - dt.timedelta(seconds=t.ended - t.answered)
    return ended_at - dt.timedelta(seconds=result.talk_seconds)


def to_outcome(
    attempt_id: int,
    result: CallResult,
    report: SessionReport | None,
    *,
    ended_at: dt.datetime,
    data_dir: Path,
    recognizer: Recognizer | None = None,
) -> CallOutcome:
    """What the ledger records for one ended call. `report` defaults to `result.session` when None;
    `recognizer` (optional) transcribes the early media of unanswered calls for a carrier announcement."""
    if report is None and isinstance(result.session, SessionReport):
        report = result.session
    number = classify_result(result, report, recognizer)
    error = report.error if report is not None else ""
    if number.disposition is not None:
        disposition = number.disposition  # the network or the carrier ended it (even after a 200 OK)
    else:
        disposition, problem = _session_disposition(result, report)
        error = error or problem
    history = history_result(disposition)
    if (
        result.answered
        and number.disposition is None
        and error
        and (report is None or (report.machine != "machine" and report.opening_ms is None))
    ):
        history = HistoryResult.abandoned  # a person may have answered and heard nothing from us (T7, K2)
    elif disposition == Disposition.no_response and error and _person_spoke(report):
        # broken off on our side after the person talked with the bot: whether the debt came up is not
        # known, so the history takes the stricter reading, a conversation (the 7-day lock after it)
        history = HistoryResult.conversation
    promise = None
    if report is not None and report.promise_date is not None:
        promise = PromiseOutcome(report.promise_date, report.promise_amount)
    plan = tuple(PromiseOutcome(d, a) for d, a in report.plan) if report is not None else ()
    disclosures = tuple(
        DisclosureOutcome(d.kind, d.start_s, d.end_s, d.complete)
        for d in (report.disclosures if report is not None else ())
    )
    withheld = report is not None and report.recording_withheld
    turns = tuple(
        TurnOutcome(
            t.seq,
            t.speaker,
            t.text,
            t.start_s,
            t.end_s,
            t.intent,
            t.confidence,
            t.latency_ms,
            t.keys,
            heard_by=t.heard_by,
            asr_confidence=t.asr_confidence,
            no_speech_prob=t.no_speech_prob,
            heard_language=t.heard_language,
        )
        for t in (report.turns if report is not None else ())
    )
    return CallOutcome(
        attempt_id=attempt_id,
        ended_at=ended_at,
        disposition=disposition,
        history_result=history.value,
        number_status=number.number_status,
        number_status_evidence=number.evidence,
        sip_code=result.sip_code,
        sip_reason=result.reason[:200],
        answered_at=_answered_at(result, ended_at),
        early_media_seconds=result.early_media_seconds,
        talk_seconds=result.talk_seconds,
        machine=report.machine if report is not None else "",
        promise=promise,
        paid_date=report.paid_date if report is not None else None,
        callback_at=report.callback_at if report is not None else None,
        callback_requested=report.callback_requested if report is not None else False,
        opt_out=report.opt_out if report is not None else "",
        turns=turns,
        recording_path=None if withheld else _relative(result.recording, data_dir),
        opening_ms=report.opening_ms if report is not None else None,
        error=error[:200],
        plan=plan if len(plan) > 1 or (report is not None and report.settlement_total) else (),
        settlement_total=report.settlement_total if report is not None else None,
        attorney_name=report.attorney_name if report is not None else "",
        attorney_phone=report.attorney_phone if report is not None else "",
        spoken_language=report.spoken_language if report is not None else "",
        disclosures=disclosures,
        recording_withheld=withheld,
    )


def interrupted_outcome(attempt_id: int, *, ended_at: dt.datetime, error: str = "worker died") -> CallOutcome:
    """A call whose worker died: never redialled as this attempt; the planner re-decides under the policy.

    The call may have reached the debtor before the crash, so the compliance history counts it as a placed,
    unanswered call (as the lease recovery does), never as a failure that costs nothing."""
    return CallOutcome(
        attempt_id=attempt_id,
        ended_at=ended_at,
        disposition=Disposition.interrupted,
        history_result=HistoryResult.no_answer.value,
        error=error[:200],
    )
