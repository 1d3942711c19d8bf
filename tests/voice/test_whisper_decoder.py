"""Whisper on CTranslate2 with a 10 s mel window: which window each utterance gets, confidence and the
no-speech probability, repetition loops cut, on real espeak-ng speech through G.711."""

from __future__ import annotations

import numpy as np

from voice import audio
from voice.recognizers.whisper import WhisperRecognizer
from voice.recognizers.whisper_decoder import (
    FULL_FRAMES,
    SHORT_FRAMES,
    DecodeRequest,
    WhisperDecoder,
    cut_repetition,
    stopped_early,
    window_for,
    words_or_nothing,
)
from voice.wer import words

from .speech import speech, telephone

RATE = 8000
PROMPT = "Can you pay by Friday?"


def _samples(pcm: bytes) -> np.ndarray:
    return audio.to_float(audio.resample(pcm, RATE, 16000))


def test_short_audio_gets_the_10_s_window_and_long_audio_30_s() -> None:
    assert window_for(16000 * 3) == SHORT_FRAMES
    assert window_for(16000 * 9) == SHORT_FRAMES
    assert window_for(16000 * 10) == FULL_FRAMES
    assert window_for(16000 * 3, short=False) == FULL_FRAMES


def test_a_reply_decodes_in_the_short_window(whisper_recognizer: WhisperRecognizer) -> None:
    pcm = telephone(audio.silence(0.2, RATE) + speech("I will pay on Friday") + audio.silence(0.3, RATE))
    decoded = whisper_recognizer.decode(_samples(pcm), PROMPT)
    assert decoded.window_frames == SHORT_FRAMES
    assert words(decoded.text) == ["i", "will", "pay", "on", "friday"]
    assert 0.5 < decoded.confidence <= 1.0
    assert decoded.no_speech_prob < 0.5


def test_audio_longer_than_the_short_window_falls_back_to_30_s(whisper_recognizer: WhisperRecognizer) -> None:
    phrase = speech("I will pay on Friday")
    pcm = telephone(audio.silence(8.5, RATE) + phrase + audio.silence(0.5, RATE))
    decoded = whisper_recognizer.decode(_samples(pcm), PROMPT)
    assert decoded.window_frames == FULL_FRAMES
    assert "friday" in words(decoded.text)


def test_silence_and_hiss_are_no_speech(whisper_recognizer: WhisperRecognizer) -> None:
    rng = np.random.default_rng(1)
    hiss = rng.normal(0, 40, RATE * 2).astype("<i2").tobytes()
    results = whisper_recognizer.decoder.decode_batch(
        [DecodeRequest(_samples(telephone(audio.silence(1.5, RATE))), PROMPT), DecodeRequest(_samples(hiss))]
    )
    for decoded in results:
        assert decoded.text == "" and decoded.confidence == 0.0
        assert decoded.no_speech_prob > 0.5


def test_beam_search_does_not_turn_silence_into_words(whisper_recognizer: WhisperRecognizer) -> None:
    """With 5 beams, line silence after "Can you pay by Friday?" came out as "Thank you." just above the
    log-probability gate; the greedy decode confirms there was no speech."""
    beams = WhisperDecoder(whisper_recognizer.model_path, language="en", beam_size=5)
    said = telephone(audio.silence(0.2, RATE) + speech("stop calling me") + audio.silence(0.3, RATE))
    silent, spoken = beams.decode_batch(
        [
            DecodeRequest(_samples(telephone(audio.silence(1.5, RATE))), PROMPT),
            DecodeRequest(_samples(said), PROMPT),
        ]
    )
    assert silent.text == "" and silent.no_speech_prob > 0.5
    assert words(spoken.text)[:3] == ["stop", "calling", "me"]  # speech is kept


def test_a_batch_gives_each_request_its_own_answer(whisper_recognizer: WhisperRecognizer) -> None:
    first = telephone(audio.silence(0.2, RATE) + speech("stop calling me") + audio.silence(0.3, RATE))
    second = telephone(audio.silence(0.2, RATE) + speech("I already paid") + audio.silence(0.3, RATE))
    one, two = whisper_recognizer.decoder.decode_batch(
        [DecodeRequest(_samples(first), "Do you want us to stop?"), DecodeRequest(_samples(second), PROMPT)]
    )
    assert words(one.text) == ["stop", "calling", "me"]
    assert words(two.text) == ["i", "already", "paid"]


def test_transcribe_carries_confidence_and_no_speech_into_the_utterance(
    whisper_recognizer: WhisperRecognizer,
) -> None:
    pcm = telephone(audio.silence(0.2, RATE) + speech("wrong number") + audio.silence(0.4, RATE))
    heard = whisper_recognizer.transcribe(pcm, RATE)
    assert heard.final and 0.0 < heard.confidence <= 1.0
    assert 0.0 <= heard.no_speech_prob <= 1.0
    silent = whisper_recognizer.transcribe(telephone(audio.silence(1.0, RATE)), RATE)
    assert silent.empty and silent.no_speech_prob > 0.5


def test_a_repetition_loop_is_cut_back_to_its_first_occurrence() -> None:
    looped = "I cannot pay right now. I cannot pay right now. I cannot pay right now. I cannot"
    assert cut_repetition(looped) == "I cannot pay right now."
    assert cut_repetition("我下个月十五号还我下个月十五号还我下个") == "我下个月十五号还"
    assert cut_repetition("no no no no") == "no no no no"  # short words repeated are speech
    assert cut_repetition("I will pay on Friday") == "I will pay on Friday"
    assert cut_repetition("Stop calling me. Stop calling me!") == "Stop calling me."  # punctuation differs
    assert cut_repetition("stop calling me stop calling me") == "stop calling me"
    assert cut_repetition("I will pay, I will pay on Friday") == "I will pay, I will pay on Friday"
    assert cut_repetition("Yes, yes. I know.") == "Yes, yes. I know."  # short words repeated are speech


def test_a_decode_of_punctuation_alone_heard_no_words() -> None:
    assert words_or_nothing("，") == ""
    assert words_or_nothing(" 。？ ") == ""
    assert words_or_nothing("...") == ""
    assert words_or_nothing("喂？") == "喂？"
    assert words_or_nothing("15") == "15"
    assert words_or_nothing("No.") == "No."


def test_a_mandarin_decode_that_stopped_after_its_first_character_is_redone_in_30_s() -> None:
    """What counts is everything written: a decode in English words covered the speech and is not
    redone at 2-2.5 s a time while the callee waits."""
    tone = np.sin(2 * np.pi * 220 * np.arange(3 * 16000) / 16000).astype(np.float32) * 0.3  # 3 s voiced
    assert stopped_early("zh", "我", tone)
    assert not stopped_early("zh", "我明天还款，下个月再还", tone)
    assert not stopped_early("zh", "我下个月15号还", tone)  # digits are said as characters
    assert not stopped_early("zh", "Wave, warp, type", tone)
    assert stopped_early("zh", "OK", tone)  # one word for three seconds of speech
    assert not stopped_early("zh", "WaveWave", tone)  # a loop on one token ran on, it did not stop
    assert stopped_early("zh", "Wave", tone)
    assert not stopped_early("en", "I", tone)  # English decodes never stop after one character
