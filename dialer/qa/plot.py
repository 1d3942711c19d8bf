"""`dialer qa report --png FILE`: findings by rule over time (by the call's day) and by script version.
matplotlib is imported here only, with the Agg backend (no display)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dialer.reports.plot import PlotUnavailable


def write_trends_png(report: dict[str, Any], path: Path, *, dpi: int = 100) -> Path:
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise PlotUnavailable("the PNG needs matplotlib: pip install matplotlib") from exc
    rules = sorted(report["by_rule"])
    fig, axes = plt.subplots(1, 2, figsize=(15, 5.5))
    colors = {rule: plt.get_cmap("tab20")(i % 20) for i, rule in enumerate(rules)}
    try:
        fig.suptitle(
            f"quality inspection{' of ' + report['campaign'] if report['campaign'] else ''}: "
            f"{report['calls']} calls, {report['findings']} findings, {report['clean']} clean"
        )
        _stacked(axes[0], report["by_day"], rules, colors, "findings by rule, per day of the call")
        versions = {v: d["findings"] for v, d in report["by_script_version"].items()}
        _stacked(axes[1], versions, rules, colors, "findings by rule, per script version")
        if rules:
            axes[1].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
        fig.tight_layout()
        fig.savefig(path, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    return path


def _stacked(
    ax: Any, groups: dict[str, dict[str, int]], rules: list[str], colors: dict[str, Any], title: str
) -> None:
    ax.set_title(title)
    labels = list(groups)
    if not labels or not rules:
        ax.text(0.5, 0.5, "no findings", ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    bottom = [0] * len(labels)
    for rule in rules:
        values = [groups[label].get(rule, 0) for label in labels]
        ax.bar(labels, values, bottom=bottom, label=rule, color=colors[rule], width=0.6)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("findings")
    ax.tick_params(axis="x", rotation=20)
