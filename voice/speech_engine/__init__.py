"""One speech engine per host: Whisper models loaded once, decoding for every call worker.

Call workers are processes (pjsua2 allows four calls each), and a Whisper model in each of them means
as many models, each decoding its calls one at a time on one thread while the host's other cores may
sit idle. The engine is one process that holds each language's model once, takes decode requests from
every worker over a Unix socket in the data directory (`channel.py`), batches them (`queue.py`: end of
turn before speculation, stale and hopeless speculation dropped) and decodes on all cores
(`server.py`). Workers reach it through `voice.recognizers.remote.RemoteRecognizer`; the worker pool
starts and restarts it (`process.py`).
"""
