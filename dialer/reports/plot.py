"""The report's one figure (`dialer report --png FILE`): funnel, dispositions, answer rate by hour and the
turn-latency histogram on one page. matplotlib is imported here only, with the Agg backend (no display)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scheduler.reports import CampaignReport

BLUE = "#3867d6"
GREEN = "#20bf6b"
GREY = "#8a8a8a"


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed."""


def write_png(report: CampaignReport, path: Path, *, dpi: int = 100) -> Path:
    """Draw the figure to `path` (its folder must exist). An empty campaign draws empty panels that say so."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise PlotUnavailable("the PNG needs matplotlib: pip install matplotlib") from exc
    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5))
    try:
        fig.suptitle(
            f"campaign {report.campaign}: {report.accounts} accounts, {report.dialed_attempts} calls dialed "
            f"({report.generated_at:%Y-%m-%d %H:%M} UTC)"
        )
        _bars(axes[0][0], list(report.funnel), "funnel (accounts)", BLUE)
        _bars(axes[0][1], list(report.dispositions), "dispositions (attempts)", GREEN)
        _hours(axes[1][0], report)
        _latency(axes[1][1], report)
        fig.tight_layout()
        fig.savefig(path, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    return path


def _integers() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _empty(ax: Any, title: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, "no data yet", ha="center", va="center", color=GREY, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def _bars(ax: Any, rows: list[tuple[str, int]], title: str, color: str) -> None:
    if not any(n for _, n in rows):
        _empty(ax, title)
        return
    labels = [name.replace("_", " ") for name, _ in rows][::-1]
    values = [n for _, n in rows][::-1]
    ax.barh(labels, values, color=color)
    for y, value in enumerate(values):
        ax.text(value, y, f" {value}", va="center", fontsize=9)
    ax.set_title(title)
    ax.set_xlim(0, max(values) * 1.15)
    ax.xaxis.set_major_locator(_integers())


def _hours(ax: Any, report: CampaignReport) -> None:
    title = f"answer rate by hour ({report.timezone})"
    if not report.dialed_attempts:
        _empty(ax, title)
        return
    hours = [h.hour for h in report.hours]
    rates = [100 * (h.rate or 0.0) for h in report.hours]
    ax.bar(hours, rates, color=BLUE)
    for h in report.hours:
        if h.dialed:
            ax.text(h.hour, 100 * (h.rate or 0.0), str(h.dialed), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlim(-0.6, 23.6)
    ax.set_ylim(0, 110)
    ax.set_xlabel("hour of day (figures above the bars: attempts dialed)")
    ax.set_ylabel("answered %")
    ax.set_title(title)


def _latency(ax: Any, report: CampaignReport) -> None:
    title = "bot turn latency (ms)"
    values = report.turn_latency.values
    if not values:
        _empty(ax, title)
        return
    ax.hist(values, bins=min(40, max(5, len(values) // 3)), color=GREEN)
    stats = report.turn_latency.as_dict()
    for q, style in (("p50", "-"), ("p95", "--"), ("p99", ":")):
        ax.axvline(stats[q], color="black", linestyle=style, linewidth=1, label=f"{q} {stats[q]:,.0f} ms")
    ax.legend(fontsize=8)
    ax.set_xlabel("end of the callee's speech to the bot's first audio (ms)")
    ax.set_ylabel("turns")
    ax.yaxis.set_major_locator(_integers())
    ax.set_title(f"{title}, {len(values)} turns")
