"""The SIP softphone engine: interfaces and value types in `interfaces`, pjsua2 only in `pjsua_engine`."""
