"""`dialer report` as rich tables: what a collections team looks at first, in the order they ask."""

from __future__ import annotations

from collections.abc import Iterator

from rich.console import Group, RenderableType
from rich.table import Table

from scheduler.number_quality import STATUSES
from scheduler.plans import PlanPart
from scheduler.reports import CampaignReport, Latency


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def render(report: CampaignReport) -> RenderableType:
    return Group(*_tables(report))


def _tables(report: CampaignReport) -> Iterator[RenderableType]:
    due = ", ".join(f"{a:,.2f} {c}" for c, a in sorted(report.amount_due.items())) or "-"
    head = Table.grid(padding=(0, 2))
    head.add_row("campaign", f"{report.campaign} ({report.state}, script {report.script})")
    head.add_row("accounts", f"{report.accounts} ({due} due)")
    head.add_row(
        "attempts",
        f"{report.attempts} ({report.dialed_attempts} dialed, {report.answered_attempts} answered, "
        f"answer rate {_pct(report.answered_attempts, report.dialed_attempts)})",
    )
    head.add_row("generated", report.generated_at.strftime("%Y-%m-%d %H:%M UTC"))
    yield head

    funnel = Table(title="funnel (accounts)", title_justify="left")
    funnel.add_column("stage")
    funnel.add_column("accounts", justify="right")
    funnel.add_column("of previous", justify="right")
    funnel.add_column("of all", justify="right")
    previous = None
    first = report.funnel[0][1] if report.funnel else 0
    for stage, n in report.funnel:
        funnel.add_row(stage, str(n), "" if previous is None else _pct(n, previous), _pct(n, first))
        previous = n
    yield funnel

    dispositions = Table(title="dispositions (attempts)", title_justify="left")
    dispositions.add_column("disposition")
    dispositions.add_column("attempts", justify="right")
    dispositions.add_column("share", justify="right")
    for name, n, share in report.disposition_shares():
        dispositions.add_row(name, str(n), f"{100 * share:.1f}%")
    if not report.dispositions:
        dispositions.add_row("(no ended attempts yet)", "0", "-")
    yield dispositions

    hours = Table(title=f"answer rate by hour ({report.timezone})", title_justify="left")
    for column in ("hour", "dialed", "answered", "rate"):
        hours.add_column(column, justify="right")
    hours.add_column("")
    for h in report.hours:
        if h.dialed:
            bar = "█" * round(20 * (h.rate or 0.0))
            hours.add_row(f"{h.hour:02d}:00", str(h.dialed), str(h.answered), _pct(h.answered, h.dialed), bar)
    if not report.dialed_attempts:
        hours.add_row("-", "0", "0", "-", "")
    yield hours

    latency = Table(title="latency (ms)", title_justify="left")
    latency.add_column("measure")
    for column in ("count", "p50", "p95", "p99", "max"):
        latency.add_column(column, justify="right")
    latency.add_row("bot turn (end of speech to reply)", *_latency_cells(report.turn_latency))
    latency.add_row("opening (answer to first word)", *_latency_cells(report.opening_latency))
    yield latency

    yield _quality(report)


def _quality(report: CampaignReport) -> Table:
    """One column per uploaded list (a site rarely compares more than a few), one row per status."""
    table = Table(title="data quality per uploaded list (numbers)", title_justify="left")
    table.add_column("")
    for q in report.quality:
        uploaded = q.uploaded_at.strftime("%Y-%m-%d") if q.uploaded_at else ""
        table.add_column(f"{q.filename}\n{uploaded}".strip(), justify="right")
    if not report.quality:
        table.add_column("(no lists)", justify="right")
    lists = report.quality or ()
    table.add_row("total", *(str(q.total) for q in lists), *(() if lists else ("0",)))
    for status in STATUSES:
        cells = [str(q.numbers.get(status.value, 0)) for q in lists] or ["0"]
        table.add_row(status.value.replace("_", " "), *cells)
    table.add_row("checked by calls", *([str(q.checked_by_calls) for q in lists] or ["0"]))
    kinds = sorted({kind for q in lists for kind in q.line_types})
    for kind in kinds:
        label = f"line type: {kind.replace('_', ' ')}"
        table.add_row(label, *(str(q.line_types.get(kind, 0)) for q in lists))
    return table


def _latency_cells(latency: Latency) -> list[str]:
    d = latency.as_dict()
    return [str(d["count"]), _ms(d["p50"]), _ms(d["p95"]), _ms(d["p99"]), _ms(d["max"])]


def plans_table(parts: list[PlanPart]) -> Table:
    """Payment plans: one row per part, plan by plan, in the order agreed on the call."""
    table = Table(title="payment plans (parts)", title_justify="left")
    for column in ("plan", "account", "part", "date", "amount", "status"):
        table.add_column(column, justify="right" if column in ("plan", "part", "amount") else "left")
    for p in parts:
        table.add_row(
            str(p.plan_id), p.account_ref, f"{p.part_no} of {p.parts}", p.date.isoformat(),
            f"{p.amount:,.2f} {p.currency}", p.status,
        )  # fmt: skip
    if not parts:
        table.add_row("-", "(no payment plans)", "", "", "", "")
    return table
