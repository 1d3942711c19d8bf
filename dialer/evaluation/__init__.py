"""Measuring the product on held-out speech: what the bot hears (`hearing_eval`) and what a call does with
it (`reply_verdict`). Here rather than in `voice/` or `dialogue/`: it uses both, as only `dialer/` may."""
