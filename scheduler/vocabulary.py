"""The shared vocabulary (VOCAB.md) as string enums.

Members compare equal to their plain strings, so the ledger stores and returns the exact words every part
uses; the enums exist so that a typo is an AttributeError instead of a silent new category.
"""

from __future__ import annotations

from enum import StrEnum


class Disposition(StrEnum):
    """The final outcome of one attempt."""

    promise_to_pay = "promise_to_pay"
    already_paid = "already_paid"
    dispute = "dispute"
    cannot_pay = "cannot_pay"
    callback_requested = "callback_requested"
    transferred = "transferred"
    wrong_party = "wrong_party"
    opt_out = "opt_out"
    refused = "refused"
    no_response = "no_response"
    voicemail_left = "voicemail_left"
    machine_no_message = "machine_no_message"
    no_answer = "no_answer"
    busy = "busy"
    rejected = "rejected"
    vacant = "vacant"
    out_of_service = "out_of_service"
    unreachable = "unreachable"
    trunk_failure = "trunk_failure"
    interrupted = "interrupted"
    # legally significant replies: each stops or holds further calls under a policy rule
    attorney = "attorney"
    bankruptcy = "bankruptcy"
    cease = "cease"
    deceased = "deceased"
    third_party = "third_party"
    language_barrier = "language_barrier"
    complaint = "complaint"
    # the call was answered by something other than the person
    screener = "screener"
    ivr = "ivr"
    fax = "fax"
    # a failure on our side before any INVITE left the host: not a placed call
    not_placed = "not_placed"


class HistoryResult(StrEnum):
    """An attempt as the compliance policy counts it in a debtor's history."""

    conversation = "conversation"
    voicemail = "voicemail"
    no_answer = "no_answer"
    busy = "busy"
    failed = "failed"
    abandoned = "abandoned"
    wrong_party = "wrong_party"
    refused = "refused"


class AttemptState(StrEnum):
    """queued -> claimed -> dialing -> done; interrupted when a worker died; cancelled when denied."""

    queued = "queued"
    claimed = "claimed"
    dialing = "dialing"
    done = "done"
    interrupted = "interrupted"
    cancelled = "cancelled"


class NumberStatus(StrEnum):
    unknown = "unknown"
    valid = "valid"
    invalid = "invalid"
    vacant = "vacant"
    out_of_service = "out_of_service"
    unreachable = "unreachable"
    powered_off = "powered_off"
    unavailable = "unavailable"  # the carrier: out of coverage or temporarily unavailable (it works)
    suppressed = "suppressed"


class LineType(StrEnum):
    """phonenumbers' number types, lower-cased; everything else it knows maps to `unknown`."""

    mobile = "mobile"
    fixed_line = "fixed_line"
    fixed_line_or_mobile = "fixed_line_or_mobile"
    voip = "voip"
    toll_free = "toll_free"
    premium = "premium"
    unknown = "unknown"


class AccountStatus(StrEnum):
    open = "open"
    promised = "promised"
    paid = "paid"
    disputed = "disputed"
    closed = "closed"


class CampaignState(StrEnum):
    draft = "draft"
    running = "running"
    paused = "paused"
    stopped = "stopped"
    finished = "finished"


class ConsentKind(StrEnum):
    call = "call"
    ai_voice = "ai_voice"
    recording = "recording"


class PromiseStatus(StrEnum):
    pending = "pending"
    kept = "kept"
    broken = "broken"


class DncScope(StrEnum):
    """`number`: this number only (U6 "don't call this number"); `person`: every number of the debtor."""

    number = "number"
    person = "person"


class DncSource(StrEnum):
    import_ = "import"
    call = "call"
    operator = "operator"
    api = "api"


class VoicemailPolicy(StrEnum):
    message = "message"
    hang_up = "hang_up"


class Speaker(StrEnum):
    bot = "bot"
    callee = "callee"


# Campaign state transitions an operator may ask for; `finished` is set by the planner only.
CAMPAIGN_TRANSITIONS: dict[CampaignState, frozenset[CampaignState]] = {
    CampaignState.draft: frozenset({CampaignState.running, CampaignState.stopped}),
    CampaignState.running: frozenset({CampaignState.paused, CampaignState.stopped, CampaignState.finished}),
    CampaignState.paused: frozenset({CampaignState.running, CampaignState.stopped}),
    CampaignState.stopped: frozenset(),
    CampaignState.finished: frozenset(),
}
