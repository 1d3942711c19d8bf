"""Everything between 20 ms PCM frames and text; imports nothing of dialer, scheduler, dialogue, sip_config.

frames        AudioFrame, Utterance (frozen values)
interfaces    Recognizer / RecognizerStream / ListeningHints, Synthesizer (the two seams)
errors        the exception hierarchy (VoiceError and below)
audio         G.711, resampling (soxr), WAV, levels
endpointing   VAD, start/end of speech, barge-in (audio time)
listener      endpointer -> recognizer stream: a caller's turn as utterances
tones         SIT, answering-machine beep, busy, ringback (Goertzel)
verbalize     amounts and dates in English and Mandarin words
cache         RenderCache, CachedSynthesizer, prerender
engines       build the configured recognizer and synthesizer chain from VoiceSettings
models        model catalog and installer (pinned SHA-256)
integrity     pinned sizes/hashes of third-party model files
recognizers/  whisper, vosk, scripted (fake)
synthesizers/ edge, piper, espeak, silence (fake), fallback
"""
