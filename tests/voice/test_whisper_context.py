"""What Whisper is given as context before the callee's audio."""

from __future__ import annotations

from voice.interfaces import ListeningHints
from voice.recognizers.whisper import context_prompt, decode_again, echoes


def test_without_hints_english_gets_a_greeting_and_mandarin_nothing() -> None:
    # a stand-in Chinese sentence was written back as the transcript; the script is converted afterwards
    assert context_prompt(ListeningHints(), "zh") == ""
    assert context_prompt(ListeningHints(), "en") == "Hello?"


def test_the_expected_answers_then_the_question_in_the_language_heard() -> None:
    # the question comes last, as the words said just before the reply: a bare list of answers last
    # made Whisper write the reply as one more list item ("yes, speaking,")
    hints = ListeningHints(prompt="请问您什么时候可以还款？", phrases=("明天", "下周", "tomorrow"))
    assert context_prompt(hints, "zh") == "明天，下周。 请问您什么时候可以还款？"
    english = ListeningHints(prompt="Am I speaking with John?", phrases=("yes", "no", "speaking"))
    assert context_prompt(english, "en") == "yes, no, speaking. Am I speaking with John?"


def test_context_in_another_script_is_left_out() -> None:
    hints = ListeningHints(prompt="When can you pay?", phrases=("tomorrow",))
    assert context_prompt(ListeningHints(prompt="When can you pay?"), "zh") == ""
    assert context_prompt(hints, "en") == "tomorrow. When can you pay?"


def test_an_echo_of_the_question_is_found_with_a_word_left_out() -> None:
    question = "是，是我，不是，我是他爱人。 请问您是张伟本人吗？是请按1，不是请按2。"
    assert echoes("请问您是张伟吗", question)  # Whisper base wrote the question back, 本人 dropped
    assert echoes("Am I speaking with John?", "yes, no. Am I speaking with John? Press 1 for yes.")
    assert echoes("am I speaking John", "yes, no. Am I speaking with John? Press 1 for yes.")
    # answers are not echoes, even made of the question's words
    assert not echoes("他不在家", question)
    assert not echoes("我不是张伟", question)
    assert not echoes("yes I am", "yes, no. Am I speaking with John? Press 1 for yes.")
    assert not echoes("no, this is his wife", "yes, no. Am I speaking with John? Press 1 for yes.")


def test_an_expected_answer_inside_the_question_is_not_decoded_again() -> None:
    answers = "yes, no, speaking, who is this."
    prompt = f"{answers} Am I speaking with John? Press 1 for yes or 2 for no."
    assert echoes("Yes.", prompt)  # "yes" is inside the question ...
    assert not decode_again("Yes.", prompt, answers)  # ... and one of the answers: kept
    assert decode_again("Am I speaking with John?", prompt, answers)  # the question written back
    assert decode_again("Press 1 for yes", prompt, answers)
    question = "是，是我，不是。 请问您是张伟本人吗？"
    assert decode_again("请问", question, "是，是我，不是。")  # Whisper base heard 是我 as 请问
    assert not decode_again("是我", question, "是，是我，不是。")
    assert not decode_again("Am I speaking with John?", prompt, None)  # no answers to decode with
    assert not decode_again("I will pay on Friday", prompt, answers)  # no echo
