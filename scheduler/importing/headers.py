"""Header aliases: map the column names operators really use (English and Chinese) to canonical fields.

A header cell is normalized (case, spaces, underscores, hyphens, a trailing unit in brackets such as
"金额(元)" or "Amount (USD)") and then looked up. Phone columns may repeat (phone, phone2, 手机号, 电话):
each becomes one contact number, in column order, which is also the dialing priority.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scheduler.importing.errors import ImportFileError

# canonical field -> aliases (already normalized: lower case, no spaces/underscores/hyphens)
ALIASES: dict[str, tuple[str, ...]] = {
    "account_ref": (
        "account",
        "accountref",
        "accountno",
        "accountnumber",
        "accountid",
        "acct",
        "acctno",
        "loanid",
        "loanno",
        "contract",
        "contractno",
        "账号",
        "账户",
        "账户号",
        "合同号",
        "合同编号",
        "借据号",
        "贷款编号",
    ),
    "debtor_ref": (
        "customerid",
        "customer",
        "customerno",
        "clientid",
        "debtorid",
        "debtorref",
        "客户号",
        "客户编号",
    ),
    "name": ("name", "fullname", "customername", "debtorname", "姓名", "客户姓名", "客户名称"),
    "first_name": ("firstname", "givenname", "forename", "名"),
    "last_name": ("lastname", "surname", "familyname", "姓"),
    "amount": (
        "amount",
        "amountdue",
        "balance",
        "balancedue",
        "outstanding",
        "debt",
        "欠款金额",
        "金额",
        "应还金额",
        "欠款",
        "逾期金额",
        "应还款额",
    ),
    "currency": ("currency", "ccy", "币种", "货币"),
    "due_date": (
        "duedate",
        "due",
        "paymentdate",
        "datedue",
        "到期日",
        "还款日",
        "到期日期",
        "应还日期",
        "还款日期",
    ),
    "state": ("state", "province", "省", "州", "省份", "省/州", "省州"),
    "postal_code": ("zip", "zipcode", "postalcode", "postcode", "邮编", "邮政编码"),
    "country": ("country", "countrycode", "国家"),
    "language": ("language", "lang", "locale", "语言"),
    "consent_date": ("consentdate", "consent", "consentat", "同意日期", "授权日期"),
    "attorney": ("attorney", "hasattorney", "represented", "律师"),
    "cease": ("cease", "ceaserequested", "donotcontact", "停止联系"),
}
PHONE_PATTERN = re.compile(
    r"^(phone|mobile|cell|cellphone|tel|telephone|phonenumber|mobilenumber|homephone|workphone|"
    r"手机号|手机号码|电话|手机|电话号码|联系电话)(\d*)$"
)
WORK_PHONE = ("workphone", "officephone", "单位电话")
REQUIRED = ("account_ref", "name", "phone", "amount", "due_date")
_UNIT = re.compile(r"[（(\[【].*?[)）\]】]$")
_JUNK = re.compile(r"[\s_\-.:：#*]+")
_LOOKUP = {alias: name for name, aliases in ALIASES.items() for alias in aliases}


def normalize_header(cell: str) -> str:
    text = cell.strip().lstrip("\ufeff").lower()
    text = _UNIT.sub("", text).strip()
    return _JUNK.sub("", text)


@dataclass(frozen=True)
class HeaderMap:
    """Column index per canonical field; `phones` is (column index, personal) in column order."""

    fields: dict[str, int]
    phones: tuple[tuple[int, bool], ...]
    ignored: tuple[str, ...] = field(default=())
    width: int = 0

    def recognized(self) -> int:
        return len(self.fields) + len(self.phones)


FIELD_WORDS = {"amount": "amount", "account": "account_ref", "phone": "phone"}


def parse_mapping(items: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`--map "amount=Amount Owed"` items -> {normalized header: canonical field}; ValueError names a bad
    item and the fields that may be mapped."""
    known = {*ALIASES, "phone"}
    out: dict[str, str] = {}
    for item in items:
        target, sep, header = item.partition("=")
        name = FIELD_WORDS.get(target.strip(), target.strip())
        if not sep or not header.strip() or name not in known:
            raise ValueError(f"--map {item!r}: use FIELD=HEADER with FIELD one of {', '.join(sorted(known))}")
        out[normalize_header(header)] = name
    return out


def map_header(cells: list[str], mapping: dict[str, str] | None = None) -> HeaderMap:
    fields: dict[str, int] = {}
    phones: list[tuple[int, bool]] = []
    ignored: list[str] = []
    for index, raw in enumerate(cells):
        key = normalize_header(raw)
        if not key:
            continue
        mapped = (mapping or {}).get(key)
        if mapped == "phone":
            phones.append((index, True))
            continue
        name = mapped or _LOOKUP.get(key)
        if name is not None and name not in fields:
            fields[name] = index
        elif PHONE_PATTERN.match(key) or key in WORK_PHONE:
            phones.append((index, key not in WORK_PHONE))
        else:
            ignored.append(raw.strip())
    return HeaderMap(fields, tuple(phones), tuple(ignored), len(cells))


def missing_fields(header: HeaderMap) -> list[str]:
    missing = []
    for name in REQUIRED:
        if name == "phone":
            if not header.phones:
                missing.append("phone")
        elif name == "name":
            if "name" not in header.fields and "first_name" not in header.fields:
                missing.append("name (or first_name)")
        elif name not in header.fields:
            missing.append(name)
    return missing


def accepted_names(field_name: str) -> str:
    """The header names a required field is recognized by (English and Chinese), for error messages."""
    if field_name == "phone":
        return "phone, phone2, mobile, tel, 手机号, 电话, 联系电话"
    if field_name.startswith("name"):
        return ", ".join((*ALIASES["name"], "first_name + last_name", "名 + 姓"))
    return ", ".join(ALIASES[field_name])


def find_header(
    candidates: list[tuple[int, list[str]]], source: str, mapping: dict[str, str] | None = None
) -> tuple[int, HeaderMap]:
    """Pick the header among the first rows: the one that names the most known columns (title rows above
    a header are common in exported sheets). Fails with the missing required columns named, each with
    the header names it is known by and how to map another one."""
    best: tuple[int, HeaderMap] | None = None
    for line, cells in candidates:
        mapped = map_header(cells, mapping)
        if best is None or mapped.recognized() > best[1].recognized():
            best = (line, mapped)
    if best is None:
        raise ImportFileError(f"{source}: the file is empty")
    line, mapped = best
    if mapped.recognized() < 2:
        raise ImportFileError(
            f"{source}: no recognizable header row (expected columns like account, name, phone)"
        )
    missing = missing_fields(mapped)
    if missing:
        names = "; ".join(f"{m}: {accepted_names(m.split(' ')[0])}" for m in missing)
        hint = missing[0].split(" ")[0].replace("account_ref", "account")
        raise ImportFileError(
            f"{source}: line {line}: missing required column(s): {', '.join(missing)} (accepted names: "
            f'{names}; or name your column: --map "{hint}=Your Header")'
        )
    return line, mapped
