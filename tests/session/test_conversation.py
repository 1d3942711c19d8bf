"""The session's logic on the fake SIP engine in virtual time (scripted recognizer and policy)."""

from __future__ import annotations

import datetime as dt

from dialer.callee.synth import tone
from dialer.session.report import turn_parts
from dialer.session.settings import SessionSettings
from dialer.sip.fake_engine import ScriptedCallee
from dialogue.interfaces import BotAction, HangUp, NoInput, RecordPromise, Say, SetDisposition, Transfer
from tests.voice.speech import speech

from .fakes import RATE, BrokenSynthesizer, DownSynthesizer, Timeline, ToneSynthesizer, run_call, spec

PROMISE: list[list[BotAction]] = [
    [Say("Thank you John. You owe $120.50, due 2026-11-15. When can you pay?", "utter_ask_payment")],
    [
        Say("Thank you. Goodbye.", "utter_close_promise"),
        SetDisposition("promise_to_pay"),
        RecordPromise(dt.date(2026, 12, 4), None),
        HangUp(),
    ],
]


def test_a_silent_pickup_hears_the_opening_then_the_dialogue_runs_turn_by_turn() -> None:
    # the opening (tone synthesizer, ~1.8 s) starts ~0.8 s after answer; replies come in the pauses
    callee = ScriptedCallee(audio=Timeline([(4.0, "yes speaking"), (8.5, "I will pay on Friday")]).pcm())
    run = run_call(callee, replies=["yes speaking", "I will pay on Friday"], policy_replies=PROMISE)
    r = run.report
    assert r.machine == "human"
    assert r.disposition == "promise_to_pay" and r.promise_date == dt.date(2026, 12, 4)
    assert r.ended_by == "bot" and not r.error
    assert r.opening_ms is not None and r.opening_ms < 2000
    speakers = [t.speaker for t in r.turns]
    assert speakers == ["bot", "callee", "bot", "callee", "bot"]
    callee_turns = [t for t in r.turns if t.speaker == "callee"]
    assert [t.text for t in callee_turns] == ["yes speaking", "I will pay on Friday"]
    assert abs(callee_turns[0].start_s - 4.0) < 0.15
    bot_replies = [t for t in r.turns if t.speaker == "bot"][1:]
    for turn in bot_replies:
        assert turn.latency_ms is not None and 0 < turn.latency_ms < 1000
    # amounts and dates are verbalized before synthesis
    assert "one hundred twenty dollars and fifty cents" in r.turns[2].text
    assert "November 15th" in r.turns[2].text
    # the bot was really heard by the callee while it spoke the opening
    assert run.bot_audio_at(r.turns[0].start_s + 0.05, r.turns[0].start_s + 0.5) > 5000


def test_barge_in_stops_the_bot_within_200_ms_of_the_callee_speaking() -> None:
    # a long opening (~4.6 s of tone); the callee talks over it 1.5 s in
    callee = ScriptedCallee(audio=Timeline([(2.3, "sorry who is calling")]).pcm())
    run = run_call(
        callee,
        replies=["sorry who is calling"],
        synthesizer=ToneSynthesizer(seconds_per_char=0.045),
        policy_replies=PROMISE,
    )
    r = run.report
    opening = r.turns[0]
    assert opening.barged_in and opening.end_s is not None and opening.end_s < 3.0
    assert len(r.barge_in_stop_ms) == 1 and 0 < r.barge_in_stop_ms[0] <= 200
    assert run.bot_audio_at(2.0, 2.3) > 5000  # talking before the callee began
    assert run.bot_audio_at(2.3 + 0.2, 3.3) == 0, r.turns  # silent 200 ms after the first word
    # the interruption is then answered as a turn
    assert r.turns[1].speaker == "callee" and r.turns[1].text == "sorry who is calling"
    assert r.turns[2].speaker == "bot" and r.turns[2].latency_ms is not None


def test_a_click_over_the_bot_pauses_it_and_the_rest_of_the_prompt_plays() -> None:
    click = speech("hello there", RATE)[: 2 * round(0.09 * RATE)]  # 90 ms: shorter than a barge-in
    callee = ScriptedCallee(audio=Timeline([(2.3, click)]).pcm())
    run = run_call(callee, replies=[""], synthesizer=ToneSynthesizer(seconds_per_char=0.045))
    r = run.report
    opening = r.turns[0]
    assert not opening.barged_in and not r.barge_in_stop_ms
    assert run.bot_audio_at(2.45, 2.6) == 0  # quiet while the callee might be speaking
    full = 0.045 * len(opening.text)
    assert opening.end_s is not None and opening.end_s - opening.start_s > full  # nothing was skipped
    assert run.bot_audio_at(opening.end_s - 0.4, opening.end_s - 0.1) > 5000


def test_a_long_greeting_is_a_machine_and_the_message_waits_for_the_beep() -> None:
    greeting = (
        "Hi, you have reached Sam. I can't take your call right now. Please leave a message after the tone."
    )
    beep_at = 0.2 + len(speech(greeting, RATE)) / (2 * RATE) + 0.4
    callee = ScriptedCallee(audio=Timeline([(0.2, greeting), (beep_at, tone(1000, 0.5, RATE))], 25).pcm())
    run = run_call(callee, replies=[greeting])
    r = run.report
    assert r.machine == "machine"
    assert r.disposition == "voicemail_left" and r.voicemail_left
    message = [t for t in r.turns if t.speaker == "bot" and "call us back" in t.text]
    assert len(message) == 1
    assert message[0].start_s >= beep_at + 0.5  # after the beep, not over it
    assert message[0].end_s is not None and not message[0].barged_in
    assert r.ended_by == "bot"
    # nothing about the debt on a machine (the limited-content message only)
    assert "dollar" not in " ".join(t.text for t in r.turns if t.speaker == "bot")


def test_machine_action_hangup_leaves_no_message() -> None:
    greeting = "Hello. You have reached the voicemail of Sam. Please leave your message after the tone."
    callee = ScriptedCallee(audio=Timeline([(0.1, greeting)], 15).pcm())
    run = run_call(callee, replies=[greeting], session_spec=spec(machine_action="hangup"))
    r = run.report
    assert r.machine == "machine" and r.disposition == "machine_no_message"
    assert not r.voicemail_left and r.ended_by == "bot"
    assert r.turns[-1].speaker != "bot" or r.turns[-1].barged_in  # only the cut-off opening, if any


def test_a_short_hello_is_a_person_and_gets_the_opening_at_once() -> None:
    callee = ScriptedCallee(audio=Timeline([(0.3, "hello")], 12).pcm(), hangup_after=6)
    run = run_call(callee, replies=["hello"])
    r = run.report
    assert r.machine == "human"
    assert r.opening_ms is not None and r.opening_ms < 2000
    assert r.ended_by == "callee" and r.disposition == "refused"


def test_no_input_reprompts_then_the_policy_closes() -> None:
    silent = ScriptedCallee(audio=Timeline([], 40).pcm())
    reprompt: list[BotAction] = [Say("Are you there?", "utter_reprompt")]
    close: list[BotAction] = [Say("Goodbye.", "utter_goodbye"), SetDisposition("no_response"), HangUp()]
    run = run_call(silent, policy_replies=[reprompt, close], settings=SessionSettings(no_input_seconds=3))
    r = run.report
    assert run.policies[0].handled == [NoInput(), NoInput()]
    assert [t.speaker for t in r.turns] == ["bot"] * 3  # silence leaves no callee turns
    assert r.disposition == "no_response" and r.ended_by == "bot"
    bots = [t for t in r.turns if t.speaker == "bot"]
    assert [t.text for t in bots][1:] == ["Are you there?", "Goodbye."]
    assert bots[1].end_s is not None and bots[2].start_s - bots[1].end_s >= 2.98


def test_keypad_9_opts_out_and_interrupts_the_bot() -> None:
    callee = ScriptedCallee(audio=Timeline([], 15).pcm(), dtmf=((1.5, "9"),))
    run = run_call(callee, synthesizer=ToneSynthesizer(seconds_per_char=0.045))
    r = run.report
    assert r.disposition == "opt_out" and r.opt_out == "number"
    keys = [t for t in r.turns if t.keys]
    assert [t.keys for t in keys] == ["9"]
    assert r.turns[0].barged_in  # the opening stopped for the key
    reply = r.turns[keys[0].seq + 1]
    assert reply.speaker == "bot" and reply.latency_ms is not None and reply.latency_ms < 200


def test_transfer_goes_to_the_agent_uri() -> None:
    callee = ScriptedCallee(audio=Timeline([(3.5, "let me speak to a person")], 12).pcm())
    actions: list[list[BotAction]] = [
        [Say("Transferring you now.", "utter_transfer"), SetDisposition("transferred"), Transfer("agent")]
    ]
    run = run_call(
        callee,
        replies=["let me speak to a person"],
        policy_replies=actions,
        session_spec=spec(transfer_uri="sip:agent@fake"),
    )
    r = run.report
    assert r.transferred_to == "sip:agent@fake" and r.disposition == "transferred"
    assert r.ended_by == "bot"


def test_the_hard_maximum_duration_ends_the_call() -> None:
    chatty = ScriptedCallee(audio=Timeline([], 30).pcm())
    reprompts: list[list[BotAction]] = [[Say("Are you there?", "utter_reprompt")]] * 20
    run = run_call(
        chatty,
        policy_replies=reprompts,
        session_spec=spec(max_seconds=8.0),
        settings=SessionSettings(no_input_seconds=1),
    )
    r = run.report
    assert r.ended_by == "max_duration"
    assert max(t.start_s for t in r.turns) < 8.0


def test_an_unreachable_tts_engine_falls_back_and_is_counted() -> None:
    callee = ScriptedCallee(audio=Timeline([(4.0, "yes speaking"), (8.5, "I will pay on Friday")]).pcm())
    from voice.synthesizers.fallback import FallbackSynthesizer

    chain = FallbackSynthesizer([DownSynthesizer(), ToneSynthesizer()])
    run = run_call(
        callee, replies=["yes speaking", "I will pay on Friday"], policy_replies=PROMISE, synthesizer=chain
    )
    r = run.report
    assert r.disposition == "promise_to_pay" and not r.error
    assert r.tts_fallbacks == 3  # the opening and two replies, each rendered by the second engine


def test_a_failure_ends_the_call_cleanly_with_an_error() -> None:
    callee = ScriptedCallee(audio=Timeline([], 10).pcm())
    run = run_call(callee, synthesizer=BrokenSynthesizer())
    r = run.report
    assert r.ended_by == "error" and "EngineUnavailable" in r.error
    assert run.engine.leg("c1").core.result is not None  # hung up


def test_a_request_without_a_spec_is_refused_cleanly() -> None:
    callee = ScriptedCallee(audio=Timeline([], 5).pcm())
    run = run_call(callee, session_spec=None, options={})
    assert run.report.ended_by == "error" and "session spec" in run.report.error


def test_an_unanswered_call_with_early_media_transcribes_the_announcement() -> None:
    words = "The number you have dialed is not in service."
    callee = ScriptedCallee(final_code=404, reason="Not Found", early_media=speech(words, RATE))
    run = run_call(callee, replies=[words.lower()])
    r = run.report
    assert r.announcement == words.lower() and r.disposition == "" and not r.turns


def test_a_machine_hanging_up_during_the_message_is_no_message_left() -> None:
    greeting = (
        "Hi, you have reached Sam. I can't take your call right now. Please leave a message after the tone."
    )
    beep_at = 0.2 + len(speech(greeting, RATE)) / (2 * RATE) + 0.4
    audio = Timeline([(0.2, greeting), (beep_at, tone(1000, 0.5, RATE))], 25).pcm()
    callee = ScriptedCallee(audio=audio, hangup_after=beep_at + 1.5)
    r = run_call(callee, replies=[greeting]).report
    assert r.machine == "machine" and not r.voicemail_left
    assert r.disposition == "machine_no_message" and r.ended_by == "callee"


def test_without_an_agent_uri_a_transfer_request_becomes_a_callback() -> None:
    callee = ScriptedCallee(audio=Timeline([(3.5, "let me speak to a person")], 12).pcm())
    actions: list[list[BotAction]] = [
        [Say("One moment.", "utter_transfer"), SetDisposition("transferred"), Transfer("agent")]
    ]
    r = run_call(callee, replies=["let me speak to a person"], policy_replies=actions).report
    assert r.transferred_to == "" and r.callback_requested and r.ended_by == "bot"
    assert r.disposition == "callback_requested"


def test_special_information_tones_after_the_answer_keep_the_carrier_announcement() -> None:
    sit = tone(913.8, 0.274, RATE) + tone(1370.6, 0.274, RATE) + tone(1776.7, 0.380, RATE)
    words = "The number you have dialed is not in service."
    callee = ScriptedCallee(audio=Timeline([(0.1, sit), (1.2, words)], 15).pcm())
    run = run_call(callee, replies=[words])
    r = run.report
    assert r.machine == "announcement" and r.announcement == words
    assert r.ended_by == "bot" and not r.voicemail_left
    assert run.bot_audio_at(1.2, 4.0) == 0  # nobody talks to a recording


NOTICE = "This is a debt collector attempting to collect a debt. Any information is used for that purpose."
DISCLOSED: list[list[BotAction]] = [
    [
        Say("Thank you John.", "utter_thanks"),
        Say(NOTICE, "utter_disclosure"),
        Say("You owe $120.50, due 2026-11-15. When can you pay?", "utter_ask_payment"),
    ],
    [Say("Sorry, when can you pay?", "utter_reprompt")],
    [Say("Thank you. Goodbye.", "utter_close_promise"), SetDisposition("promise_to_pay"), HangUp()],
]


def _run_notice_call(lines: list[tuple[float, str]]) -> list[str]:
    synth = ToneSynthesizer(seconds_per_char=0.03)
    run = run_call(
        ScriptedCallee(audio=Timeline(lines).pcm()),
        replies=[text for _, text in lines],
        synthesizer=synth,
        policy_replies=DISCLOSED,
    )
    assert run.report.disposition == "promise_to_pay", run.report.turns
    return [t.text for t in run.report.turns if t.speaker == "bot"]


def test_a_debt_collector_notice_cut_by_a_barge_in_is_said_again_before_the_next_reply() -> None:
    # the reply with the notice starts ~5.4 s and lasts ~6 s; the callee talks over it at 6.5 s
    bot = _run_notice_call([(4.0, "yes speaking"), (6.5, "wait what"), (17.0, "I will pay on Friday")])
    assert "debt collector" in bot[1]
    assert bot[2].startswith("This is a debt collector") and "when can you pay" in bot[2], bot
    assert "debt collector" not in bot[3]  # said whole once: not again


def test_a_notice_heard_whole_is_not_repeated() -> None:
    bot = _run_notice_call([(4.0, "yes speaking"), (13.5, "wait what"), (17.0, "I will pay on Friday")])
    assert "debt collector" in bot[1]
    assert "debt collector" not in bot[2] and "debt collector" not in bot[3], bot


def test_each_reply_to_speech_says_where_its_latency_went() -> None:
    callee = ScriptedCallee(audio=Timeline([(4.0, "yes speaking"), (8.5, "I will pay on Friday")]).pcm())
    run = run_call(callee, replies=["yes speaking", "I will pay on Friday"], policy_replies=PROMISE)
    opening, *replies = [t for t in run.report.turns if t.speaker == "bot"]
    assert turn_parts(opening) == {}  # the opening answers no speech
    assert len(replies) == 2
    for turn in replies:
        parts = turn_parts(turn)
        assert set(parts) == {"end_of_turn", "hearing", "deciding", "rendering"}, turn
        assert all(v >= 0 for v in parts.values())
        # the endpointer's wait for the end of the turn is most of it here; the parts add up to the whole
        assert parts["end_of_turn"] >= 200
        assert turn.latency_ms is not None and abs(sum(parts.values()) - turn.latency_ms) <= 3


def test_a_carrier_that_speaks_after_the_answer_and_hangs_up_leaves_its_words_for_number_status() -> None:
    words = "The number you have dialed is not in service."
    end = 0.4 + len(speech(words, RATE)) / (2 * RATE)
    callee = ScriptedCallee(audio=Timeline([(0.4, words)], 15).pcm(), hangup_after=end + 0.6)
    r = run_call(callee, replies=[words]).report
    assert r.machine == "announcement" and r.announcement == words
    assert r.ended_by == "callee" and not r.voicemail_left
