"""Replies spoken sentence by sentence: the first sentence plays while the rest render, a barge-in drops
what was not rendered yet, and the scripts' fixed sentences come from the render cache."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from dialer.session.carriers import Carriers, carrier_heads
from dialer.session.handler import ScriptEngines, SessionHandler
from dialer.session.prompts import PromptRenderer
from dialer.session.reply import ReplyStream, fixed_sentences, plan, sentences
from dialer.sip.fake_engine import FakeSipEngine, ScriptedCallee
from dialogue.interfaces import BotAction, HangUp, Say
from dialogue.settings import DialogueSettings
from voice.cache import RenderCache
from voice.errors import SynthesisError
from voice.recognizers.scripted import ScriptedRecognizer
from voice.synthesizers.fallback import FallbackSynthesizer

from .fakes import RATE, DownSynthesizer, Timeline, ToneSynthesizer, run_call

ROOT = Path(__file__).resolve().parents[2]


class GatedSynthesizer(ToneSynthesizer):
    """A slow engine: a sentence containing `gate` renders only once `release()` holds (5 s at most).
    `released` says, for each gated render, whether it was let through rather than timed out."""

    def __init__(self, gate: str, release: Callable[[], bool], seconds_per_char: float = 0.02) -> None:
        super().__init__(seconds_per_char)
        self.gate = gate
        self.release = release
        self.released: list[bool] = []
        self.started: list[str] = []

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        self.started.append(text)
        if self.gate in text:
            deadline = time.monotonic() + 5.0
            while not self.release() and time.monotonic() < deadline:
                time.sleep(0.002)
            self.released.append(self.release())
        return super().synthesize(text, lang, sample_rate)


def _heard_seconds(engines: list[FakeSipEngine]) -> float:
    """Audio time since the answer, as the callee's side of the fake line counts it."""
    try:
        return len(engines[0].leg("c1").heard) / 2 / RATE
    except (IndexError, KeyError):
        return 0.0


def _heard_loud(engines: list[FakeSipEngine]) -> bool:
    try:
        heard = np.frombuffer(bytes(engines[0].leg("c1").heard), dtype="<i2")
    except (IndexError, KeyError):
        return False
    return bool(heard.size) and int(np.abs(heard).max()) > 5000


# -- splitting ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("So you will pay $120.50 by Friday. Is that right? Press 1.", "en", 3),
        ("Thank you, John. This call is from a debt collector.", "en", 2),
        ("One sentence without an end", "en", 1),
        ('He said "stop." Then he hung up.', "en", 2),
        ("您好，我们是北风，本电话为自动语音。如不希望再接到来电，请说“停止”或按9。", "zh", 2),
        ("请问您是张伟本人吗？是请按1，不是请按2。", "zh", 2),
    ],
)
def test_a_prompt_splits_at_sentence_ends_only(text: str, lang: str, expected: int) -> None:
    pieces = sentences(text, lang)
    assert len(pieces) == expected
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")  # nothing lost or reordered


def test_fixed_sentences_are_the_ones_without_slots_verbalized_as_a_live_reply() -> None:
    templates = ["Hello, this is {company}. To stop these calls, say stop or press 9.", "Pay $5.00 today."]
    fixed = fixed_sentences(templates, "en")
    assert fixed == ["To stop these calls, say stop or press 9.", "Pay five dollars today."]
    live = plan(["Hello, this is Northwind. To stop these calls, say stop or press 9."], "en")
    assert live[1].text == fixed[0]  # the same cache key as the pre-rendered sentence


# -- the stream --------------------------------------------------------------------------------------
def test_the_first_sentence_is_ready_while_the_next_one_renders() -> None:
    gate = threading.Event()
    synth = GatedSynthesizer("Second", gate.is_set)
    stream = ReplyStream(
        PromptRenderer(FallbackSynthesizer([synth])),
        plan(["First one. Second one. Third one."], "en"),
        "en",
        RATE,
    )
    first = stream.ready(wait=5.0)
    assert [p.piece.text for p in first] == ["First one."]
    assert not stream.complete and synth.started[-1] == "Second one."
    gate.set()
    rest = stream.ready(wait=5.0) + stream.ready(wait=5.0)
    assert [p.piece.text for p in rest] == ["Second one.", "Third one."] and stream.complete
    assert synth.released == [True]


def test_a_cancelled_stream_renders_nothing_more_and_hands_nothing_over() -> None:
    gate = threading.Event()
    synth = GatedSynthesizer("Second", gate.is_set)
    stream = ReplyStream(
        PromptRenderer(FallbackSynthesizer([synth])),
        plan(["First one. Second one. Third one."], "en"),
        "en",
        RATE,
    )
    assert stream.ready(wait=5.0)
    stream.cancel()
    gate.set()
    stream.join(5.0)
    assert stream.ready() == [] and stream.complete
    assert "Third one." not in synth.spoken  # never rendered


def test_a_render_failure_is_raised_on_the_calls_thread() -> None:
    class FailsLater(ToneSynthesizer):
        def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
            if "Second" in text:
                raise SynthesisError("cannot render")
            return super().synthesize(text, lang, sample_rate)

    stream = ReplyStream(PromptRenderer(FailsLater()), plan(["First. Second."], "en"), "en", RATE)
    assert stream.ready(wait=5.0)
    with pytest.raises(SynthesisError):
        for _ in range(100):
            stream.ready(wait=0.05)
    assert stream.complete


def test_fallbacks_count_once_per_prompt_however_many_sentences_fell_back() -> None:
    chain = FallbackSynthesizer([DownSynthesizer(), ToneSynthesizer()])
    stream = ReplyStream(PromptRenderer(chain), plan(["A. B. C.", "D."], "en"), "en", RATE)
    got = 0
    while not stream.complete:
        stream.ready(wait=1.0)
        got += stream.new_fallbacks()
    assert got == 2


class PaddedSynthesizer(ToneSynthesizer):
    """Piper's habit: each sentence comes with silence before it and after it."""

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        pad = bytes(2 * round(0.5 * sample_rate))
        return pad + super().synthesize(text, lang, sample_rate) + pad


def test_a_renders_quiet_edges_are_trimmed_fresh_or_from_the_cache(tmp_path: Path) -> None:
    """Two sentences of a reply must not leave the line quiet long enough for a callee to take the reply
    for finished (0.6 s for the simulated callees): each keeps at most 120 ms before and 200 ms after."""
    synth = PaddedSynthesizer()
    tone = len(ToneSynthesizer().synthesize("Second one.", "en", RATE))
    renderer = PromptRenderer(FallbackSynthesizer([synth], cache=RenderCache(tmp_path / "cache")))
    fresh = renderer.render("Second one.", "en", RATE)
    cached = renderer.render("Second one.", "en", RATE)
    assert synth.spoken == ["Second one."]  # the second came from the cache
    for rendered in (fresh, cached):
        assert len(rendered.pcm) == pytest.approx(tone + 2 * round(0.32 * RATE), abs=2 * RATE // 50)
        head = np.frombuffer(rendered.pcm[: 2 * round(0.15 * RATE)], dtype="<i2")
        assert np.abs(head).max() > 5000  # the tone starts within the first 0.15 s


# -- on a call (fake SIP engine, virtual time) -------------------------------------------------------
def test_the_callee_hears_the_first_sentence_before_the_second_is_rendered() -> None:
    engines: list[FakeSipEngine] = []
    # the opening's second sentence renders only once the callee has heard the bot
    synth = GatedSynthesizer("stop these calls", lambda: _heard_loud(engines))
    run = run_call(
        ScriptedCallee(audio=Timeline([], 10).pcm()),
        synthesizer=synth,
        on_engine=engines.append,
    )
    r = run.report
    assert synth.released == [True], "the second sentence was rendered before the first was played"
    opening = r.turns[0]
    assert "automated call" in opening.text and "stop these calls" in opening.text
    assert not opening.barged_in and opening.end_s is not None
    # both sentences were heard, the second behind the first (0.3 s of tone at least)
    assert opening.end_s - opening.start_s > 0.02 * len(opening.text) * 0.8
    assert run.bot_audio_at(opening.end_s - 0.4, opening.end_s - 0.1) > 5000


def test_a_barge_in_drops_the_sentences_not_rendered_yet() -> None:
    engines: list[FakeSipEngine] = []
    long_first = "Thank you John, this is the first sentence of a rather long reminder for you today."
    replies: list[list[BotAction]] = [
        [Say(f"{long_first} Gated second sentence. Third sentence never rendered.", "utter_reminder")],
        [Say("Goodbye.", "utter_close"), HangUp()],
    ]
    # the reply starts ~5.5 s after the answer; the callee talks over it at 6.6 s; the second sentence
    # finishes rendering at 7.2 s, after the barge-in, before the next reply is due
    synth = GatedSynthesizer("Gated", lambda: _heard_seconds(engines) >= 7.2, seconds_per_char=0.03)
    callee = ScriptedCallee(audio=Timeline([(4.5, "yes speaking"), (6.6, "wait a moment please")]).pcm())
    run = run_call(
        callee,
        replies=["yes speaking", "wait a moment please"],
        policy_replies=replies,
        synthesizer=synth,
        recognizer=ScriptedRecognizer(["yes speaking", "wait a moment please"]),
        on_engine=engines.append,
    )
    r = run.report
    assert not r.error, r.error
    reply = next(t for t in r.turns if t.speaker == "bot" and "first sentence" in t.text)
    assert reply.barged_in and reply.start_s < 6.6 < (reply.end_s or 0) + 0.2
    assert synth.released == [True]
    assert "Third sentence never rendered." not in synth.spoken
    goodbye = next(t for t in r.turns if t.speaker == "bot" and t.text == "Goodbye.")
    # nothing of the cancelled reply reached the callee after the barge-in: not the gated sentence either
    assert run.bot_audio_at(6.6 + 0.2, goodbye.start_s) == 0


# -- worker start ------------------------------------------------------------------------------------
def test_the_scripts_fixed_sentences_are_rendered_at_worker_start(tmp_path: Path) -> None:
    synth = ToneSynthesizer()
    chain = FallbackSynthesizer([synth], cache=RenderCache(tmp_path / "cache"))
    engines = ScriptEngines(DialogueSettings(scripts_dir=str(ROOT / "scripts")))
    try:
        assert engines.preload() == []
        fixed = engines.fixed_sentences()
        handler = SessionHandler(recognizer=ScriptedRecognizer([]), synthesizer=chain, policies=engines)
        assert handler.prerender(fixed, RATE) == len(fixed)
    finally:
        engines.close()
    langs = {lang for _, lang in fixed}
    assert langs == {"en", "zh"}
    assert "Press 1 for yes or 2 for no." in [text for text, _ in fixed]
    assert not any("{" in text for text, _ in fixed)
    # a live opening now renders only its sentence with per-call text
    synth.spoken.clear()
    opening = (
        "Hello, this is Northwind Services, with an automated call. To stop these calls, say stop or press 9."
    )
    stream = ReplyStream(PromptRenderer(chain), plan([opening], "en"), "en", RATE)
    while not stream.complete:
        stream.ready(wait=2.0)
    assert synth.spoken == ["Hello, this is Northwind Services, with an automated call."]


def test_a_later_sentence_that_cannot_be_rendered_ends_the_call_with_an_error() -> None:
    class FailsLater(ToneSynthesizer):
        def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
            if "stop these calls" in text:
                raise SynthesisError("cannot render")
            return super().synthesize(text, lang, sample_rate)

    run = run_call(ScriptedCallee(audio=Timeline([], 10).pcm()), synthesizer=FailsLater())
    r = run.report
    assert r.ended_by == "error" and "EngineUnavailable" in r.error
    assert r.turns[0].speaker == "bot" and run.bot_audio_at(0.0, 10.0) > 5000  # the first sentence began
    assert run.engine.leg("c1").core.result is not None  # hung up


def test_a_first_sentence_goes_before_the_later_sentences_of_another_calls_reply() -> None:
    gate = threading.Event()
    synth = GatedSynthesizer("busy", gate.is_set)
    prompts = PromptRenderer(synth)
    threads = [threading.Thread(target=prompts.render, args=("busy now.", "en", RATE))]
    threads[0].start()
    while synth.started != ["busy now."]:
        time.sleep(0.001)
    later = threading.Thread(
        target=prompts.render, args=("later sentence.", "en", RATE), kwargs={"urgent": False}
    )
    later.start()
    time.sleep(0.05)  # the later sentence waits for its turn first
    first = threading.Thread(target=prompts.render, args=("first sentence.", "en", RATE))
    first.start()
    while prompts._urgent_waiting == 0:
        time.sleep(0.001)
    gate.set()
    for thread in (*threads, later, first):
        thread.join(5.0)
    assert synth.started == ["busy now.", "first sentence.", "later sentence."]


# -- carrier heads -------------------------------------------------------------------------------------
def test_a_carrier_head_is_the_words_before_a_slot_cut_at_a_clause_mark() -> None:
    templates = [
        "Thank you, {first_name}. This sentence is fixed.",
        "So you will pay {promise_amount} by {date_text}.",
        "Am I {first_name}?",  # two words: not worth a seam
        "{plan_rules} What can you do?",  # a slot first: no head
        "We can note a date up to {promise_limit}.",
    ]
    assert carrier_heads(templates, "en") == ["Thank you,", "So you will pay", "We can note a date up to"]
    zh = ["谢谢您，{first_name}。", "请问您是{first_name}本人吗？", "会在{date_text}还"]
    assert carrier_heads(zh, "zh") == ["谢谢您，", "请问您是"]


def test_only_a_first_sentence_with_per_call_text_starts_with_its_head() -> None:
    carriers = Carriers.of([("Thank you,", "en"), ("So you will pay", "en")], [("Thank you, goodbye.", "en")])
    pieces = plan(["Thank you, Paul. This is a reminder.", "So you will pay soon."], "en", carriers)
    assert [(p.prompt, p.text) for p in pieces] == [
        (0, "Thank you,"),
        (0, "Paul."),
        (0, "This is a reminder."),
        (1, "So you will pay soon."),  # not the reply's first sentence: it renders while the rest plays
    ]
    assert carriers.split("Thank you, goodbye.", "en") == ["Thank you, goodbye."]  # fixed: cached whole
    assert carriers.split("So you will payment soon.", "en") == ["So you will payment soon."]  # whole words
    assert carriers.split("So you will pay", "en") == ["So you will pay"]  # nothing after the head
    assert plan(["Thank you, Paul."], "en") == [pieces[0].__class__(0, "Thank you, Paul.")]  # no carriers


def test_a_reply_with_per_call_text_starts_with_its_cached_head_while_the_rest_renders(
    tmp_path: Path,
) -> None:
    released = threading.Event()
    synth = GatedSynthesizer("Paul", released.is_set)
    chain = FallbackSynthesizer([synth], cache=RenderCache(tmp_path / "cache"))
    prompts = PromptRenderer(chain, Carriers.of([("Thank you,", "en")], []))
    prompts.render("Thank you,", "en", RATE, verbalized=True)  # pre-rendered at worker start
    synth.spoken.clear()
    stream = ReplyStream(prompts, plan(["Thank you, Paul."], "en", prompts.carriers), "en", RATE)
    first = stream.ready(wait=2.0)
    assert [p.piece.text for p in first] == ["Thank you,"]  # ready while "Paul." still renders
    assert synth.spoken == [] and not stream.complete  # the head came from the cache
    released.set()
    rest = stream.ready(wait=5.0)
    assert [p.piece.text for p in rest] == ["Paul."]
    assert not rest[0].after_gap  # the same sentence goes on: no pause between prompts
    assert synth.released == [True] and stream.complete


def test_a_cached_sentence_does_not_wait_behind_another_calls_render(tmp_path: Path) -> None:
    released = threading.Event()
    synth = GatedSynthesizer("slow", released.is_set)
    chain = FallbackSynthesizer([synth], cache=RenderCache(tmp_path / "cache"))
    prompts = PromptRenderer(chain)
    prompts.render("Thank you,", "en", RATE, verbalized=True)
    busy = threading.Thread(target=prompts.render, args=("A slow sentence.", "en", RATE))
    busy.start()  # another call's live render holds the engine
    try:
        while "A slow sentence." not in synth.started:
            time.sleep(0.002)
        cached = prompts.render("Thank you,", "en", RATE, verbalized=True, urgent=True)
        assert cached.engine == synth.name and not cached.fallback and cached.pcm
        assert synth.released == []  # served while the other render was still held, not after it
    finally:
        released.set()
        busy.join(5)
    assert synth.released == [True]
