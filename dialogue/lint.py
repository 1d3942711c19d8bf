"""Compliance lint of a call script: each finding carries the COMPLIANCE.md rule id, file and line.

What it checks, and why it can be checked on the files alone:
- T3/T4/E3: the first utterance names the business, says the call is automated, and tells how to opt out,
  soon enough after the name (estimated at a speaking rate: 2.5 words/s in English, 4.5 characters/s in
  Chinese) to start within 2 s; some response gives the callback number (T3).
- U8/C4: no debt words in any response the rules and stories can reach before the right party confirmed.
- U7: the disclosure exists in both forms (first contact, later contacts) and comes only after the check.
- U9: the voicemail message holds the business name, a person, a callback number, and nothing else.
- C5: no threats, false legal claims, police/court references, blacklists or exposure, in any response.
- C5-contact: no threat to contact the callee's employer, family, neighbours or contacts.
- C5-urgency: no "final warning", "last chance" or deadlines with threats (false urgency).
- C5-legal: no lawsuit, court, judgment, garnishment or seizure the campaign has not approved
  (dialer.yml ``approved_legal_actions``: lawsuit, garnishment, credit_report); implied arrest never.
- U7-order: in every rule and story, after the right party confirmed, the disclosure comes before the
  first response that discusses the debt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dialogue.script import Flow, Response, Script, Variant
from dialogue.validate import Finding

DEBT_WORDS_EN = (
    r"\b(debts?|owes?|owed|owing|balance|payments?|pay|paid|overdue|past due|collect\w*|arrears|loans?|"
    r"bills?|delinquent|outstanding)\b"
)
DEBT_WORDS_ZH = r"欠款|欠费|债务|还款|逾期|催收|借款|贷款|账单|金额|欠钱|还钱|欠"
DEBT_VARIABLES = ("{amount}", "{due_date}", "{promise_amount}", "{promise_limit}")
FORBIDDEN_EN = r"\b(arrest\w*|jail|prison|police|blacklist\w*|criminal|warrant|sheriff|handcuff\w*)\b"
FORBIDDEN_ZH = r"公安|警察|坐牢|拘留|黑名单|曝光|判刑|抓人|上门抓"
# Legal steps a campaign may approve (dialer.yml approved_legal_actions); unapproved, they are C5-legal.
LEGAL_ACTIONS = {
    "lawsuit": (
        r"\b(lawsuits?|sue|suing|sued|court|legal action|legal proceedings|judg(?:e)?ments?)\b",
        r"起诉|法院|诉讼|律师函|法律程序|判决",
    ),
    "garnishment": (
        r"\b(garnish\w*|seiz\w*|levy|wage deduction|repossess\w*)\b",
        r"冻结|扣押|查封|强制执行|扣工资",
    ),
    "credit_report": (r"\b(credit report\w*|credit bureau|credit score|credit record)\b", r"征信|信用记录"),
}
CONTACT_THREAT_EN = (
    r"\b(contact|call|tell|inform|notify|visit|speak to|reach out to|let)\b[^.?!]{0,40}\b(your )?"
    r"(employer|boss|work ?place|colleagues?|co-?workers?|family|relatives|parents|spouse|wife|husband|"
    r"neighbou?rs?|friends|references|contacts)\b"
)
CONTACT_THREAT_ZH = (
    r"(联系|通知|告诉|打给|找)[^。？！]{0,8}"
    r"(单位|领导|同事|家人|家里人|亲属|父母|配偶|邻居|朋友|通讯录|紧急联系人)"
)
URGENCY_EN = (
    r"\b(final (warning|notice)|last (warning|chance|notice)|act now|immediately or|or else|"
    r"before it'?s too late|urgent|within 24 hours|time is running out|no more chances)\b"
)
URGENCY_ZH = r"最后通知|最后一次|最后警告|最后机会|立即还款否则|否则后果自负|后果自负|限你|马上还钱|今天必须"
AUTOMATED_EN = r"\b(automated|artificial|AI|virtual assistant|recorded message|robot)\b"
AUTOMATED_ZH = r"自动语音|自动|智能|机器人|AI|人工智能"
OPT_OUT_EN = (r"\b(to stop|say stop|press 9|press nine)\b", r"\bstop\b", r"\b(9|nine)\b")
OPT_OUT_ZH = (r"如不希望|如需停止|请说|停止", r"停止", r"9|九")
MINI_MIRANDA = (
    "debt collector",
    "attempting to collect a debt",
    "information obtained will be used for that purpose",
)


@dataclass(frozen=True)
class _Text:
    response: Response
    variant: Variant
    text: str


def _texts(script: Script, name: str | None = None) -> list[_Text]:
    names = [name] if name else list(script.responses)
    out: list[_Text] = []
    for response_name in names:
        response = script.responses.get(response_name or "")
        if response is None:
            continue
        out.extend(_Text(response, v, v.text) for v in response.variants if v.text)
    return out


def _zh(script: Script) -> bool:
    return script.language.startswith("zh")


def _finding(rule: str, item: _Text, message: str) -> Finding:
    return Finding(rule, item.response.path, item.variant.line, f"{item.response.name}: {message}")


def pre_rpc_responses(script: Script) -> set[str]:
    """Responses that rules and stories can utter before the right party has confirmed."""
    raw = script.meta.get("right_party_question") or []
    questions = {str(q) for q in ([raw] if isinstance(raw, str) else raw)}
    confirm = set(script.meta.get("right_party_confirm_intents") or ["affirm"])
    flows: list[Flow] = [*script.rules, *script.stories]
    reached: set[str] = set()
    changed = True
    while changed:
        changed = False
        for flow in flows:
            steps = [s for s in flow.steps if s.kind != "slots"]
            lead = 0
            while lead < len(steps) and steps[lead].kind == "action":
                lead += 1
            if lead and steps[lead - 1].value not in reached:
                continue  # the flow's context (its leading actions) never happens before the check
            pre, previous = True, steps[lead - 1].value if lead else ""
            for step in steps[lead:]:
                if step.kind == "action":
                    if pre and step.value not in reached:
                        reached.add(step.value)
                        changed = True
                    previous = step.value
                elif step.kind in ("intent", "or"):
                    intents = {step.value} if step.kind == "intent" else set(step.options)
                    if previous in questions and intents <= confirm:
                        pre = False
    return reached


def lint(script: Script) -> list[Finding]:
    zh = _zh(script)
    jurisdictions = {str(j).upper() for j in script.meta.get("jurisdictions") or ["US", "CN", "EU"]}
    out: list[Finding] = []
    out.extend(_opening(script, zh))
    callback = [t for t in _texts(script) if "{callback_number}" in t.text]
    if not callback:
        out.append(Finding("T3", "domain.yml", 0, "no response gives the callback number {callback_number}"))
    debt = DEBT_WORDS_ZH if zh else DEBT_WORDS_EN
    pre = pre_rpc_responses(script)
    rpc_rules = [
        r
        for r in ("U8", "C4")
        if (r == "U8" and "US" in jurisdictions) or (r == "C4" and "CN" in jurisdictions)
    ]
    voicemail = str(script.meta.get("voicemail") or "")
    for name in sorted(pre - {voicemail}):
        for item in _texts(script, name):
            hit = re.search(debt, item.text, re.IGNORECASE) or next(
                (re.search(re.escape(v), item.text) for v in DEBT_VARIABLES if v in item.text), None
            )
            if hit:
                for rule in rpc_rules or ["U8"]:
                    out.append(
                        _finding(
                            rule, item, f"debt information {hit.group(0)!r} before the right-party check"
                        )
                    )
    if "US" in jurisdictions:
        out.extend(_disclosure(script, pre))
    out.extend(_voicemail(script, voicemail, debt))
    forbidden = FORBIDDEN_ZH if zh else FORBIDDEN_EN
    for item in _texts(script):
        for pattern in (forbidden, FORBIDDEN_ZH, FORBIDDEN_EN):
            hit = re.search(pattern, item.text, re.IGNORECASE)
            if hit:
                out.append(
                    _finding("C5", item, f"banned content {hit.group(0)!r} (threats, legal or police claims)")
                )
                break
    out.extend(_pressure(script))
    if "US" in jurisdictions:
        out.extend(_disclosure_order(script))
    return out


def _first_hit(patterns: tuple[str, ...], text: str) -> re.Match[str] | None:
    for pattern in patterns:
        hit = re.search(pattern, text, re.IGNORECASE)
        if hit:
            return hit
    return None


def _pressure(script: Script) -> list[Finding]:
    """Threats to tell others, false urgency, and legal steps the campaign has not approved."""
    approved = {str(a) for a in script.meta.get("approved_legal_actions") or []}
    out: list[Finding] = []
    for item in _texts(script):
        hit = _first_hit((CONTACT_THREAT_EN, CONTACT_THREAT_ZH), item.text)
        if hit:
            message = f"threatens to contact others {hit.group(0)!r} (employer, family, neighbours)"
            out.append(_finding("C5-contact", item, message))
        hit = _first_hit((URGENCY_EN, URGENCY_ZH), item.text)
        if hit:
            out.append(_finding("C5-urgency", item, f"false urgency {hit.group(0)!r}"))
        for action, patterns in LEGAL_ACTIONS.items():
            if action in approved:
                continue
            hit = _first_hit(patterns, item.text)
            if hit:
                message = (
                    f"implies {action.replace('_', ' ')} {hit.group(0)!r}, which the campaign has not "
                    "approved (dialer.yml approved_legal_actions)"
                )
                out.append(_finding("C5-legal", item, message))
    return out


def _mentions_debt(script: Script, action: str) -> bool:
    debt = DEBT_WORDS_ZH if _zh(script) else DEBT_WORDS_EN
    return any(
        re.search(debt, t.text, re.IGNORECASE) or any(v in t.text for v in DEBT_VARIABLES)
        for t in _texts(script, action)
    )


def _disclosure_order(script: Script) -> list[Finding]:
    """After the right-party confirmation in a rule or story, the disclosure precedes any debt talk."""
    raw = script.meta.get("right_party_question") or []
    questions = {str(q) for q in ([raw] if isinstance(raw, str) else raw)}
    confirm = set(script.meta.get("right_party_confirm_intents") or ["affirm"])
    disclosure = str(script.meta.get("disclosure") or "")
    out: list[Finding] = []
    for flow in [*script.rules, *script.stories]:
        steps = [s for s in flow.steps if s.kind != "slots"]
        confirmed, disclosed, previous = False, False, ""
        for step in steps:
            if step.kind in ("intent", "or"):
                intents = {step.value} if step.kind == "intent" else set(step.options)
                if previous in questions and intents <= confirm:
                    confirmed, disclosed = True, False
                continue
            previous = step.value
            if not confirmed:
                continue
            if step.value == disclosure:
                disclosed = True
            elif not disclosed and _mentions_debt(script, step.value):
                message = (
                    f"{flow.kind} {flow.name!r}: {step.value!r} discusses the debt before the disclosure "
                    f"{disclosure!r} after the right-party confirmation"
                )
                out.append(Finding("U7-order", flow.path, step.line, message))
                break
    return out


def _opening(script: Script, zh: bool) -> list[Finding]:
    name = str(script.meta.get("opening") or "")
    texts = _texts(script, name)
    if not texts:
        return [Finding("T3", "dialer.yml", 0, f"no opening response {name!r} with text")]
    out: list[Finding] = []
    for item in texts:
        text = item.text
        if "{company}" not in text:
            out.append(_finding("T3", item, "the first utterance does not name the business ({company})"))
        if not re.search(AUTOMATED_ZH if zh else AUTOMATED_EN, text):
            out.append(_finding("E3", item, "the first utterance does not say the call is automated (AI)"))
        start_pattern, word, digit = OPT_OUT_ZH if zh else OPT_OUT_EN
        start = re.search(start_pattern, text, re.IGNORECASE)
        if not (re.search(word, text, re.IGNORECASE) and re.search(digit, text)) or start is None:
            out.append(
                _finding("T4", item, "the first utterance does not tell how to opt out (say stop / press 9)")
            )
        elif "{company}" in text:
            between = text[text.index("{company}") + len("{company}") : start.start()]
            seconds = len(re.sub(r"\W", "", between)) / 4.5 if zh else len(between.split()) / 2.5
            if seconds > 2.0:
                out.append(
                    _finding(
                        "T4", item, f"the opt-out instruction starts about {seconds:.1f} s after the name"
                    )
                )
    return out


def _disclosure(script: Script, pre: set[str]) -> list[Finding]:
    name = str(script.meta.get("disclosure") or "")
    response = script.responses.get(name)
    if response is None:
        return [Finding("U7", "dialer.yml", 0, f"no disclosure response {name!r}")]
    out: list[Finding] = []
    if name in pre:
        out.append(
            Finding(
                "U7",
                response.path,
                response.line,
                f"{name}: the disclosure can come before the right-party check",
            )
        )
    first = [v for v in response.variants if ("first_contact", True) in v.condition and v.text]
    later = [v for v in response.variants if not v.condition and v.text]
    if not first or not all(p in (first[0].text or "").lower() for p in MINI_MIRANDA):
        out.append(
            Finding(
                "U7",
                response.path,
                response.line,
                f"{name}: no first-contact variant with the full debt collector notice",
            )
        )
    if not later or "debt collector" not in (later[0].text or "").lower():
        out.append(
            Finding(
                "U7",
                response.path,
                response.line,
                f"{name}: the later-contact variant must say it is from a debt collector",
            )
        )
    return out


def _voicemail(script: Script, name: str, debt: str) -> list[Finding]:
    texts = _texts(script, name)
    out: list[Finding] = []
    for item in texts:
        for variable in ("{first_name}", *DEBT_VARIABLES):
            if variable in item.text:
                out.append(_finding("U9", item, f"the voicemail message contains {variable}"))
        for pattern in (debt, DEBT_WORDS_EN, DEBT_WORDS_ZH):
            hit = re.search(pattern, item.text, re.IGNORECASE)
            if hit:
                out.append(_finding("U9", item, f"the voicemail message mentions {hit.group(0)!r}"))
                break
        for required, what in (
            ("{company}", "the business name"),
            ("{callback_number}", "a callback number"),
            ("{agent_name}", "a person to contact"),
        ):
            if required not in item.text:
                out.append(_finding("U9", item, f"the voicemail message lacks {what} ({required})"))
    return out
