"""Understanding one utterance: intent classification and entity extraction (dates, times, amounts)."""
