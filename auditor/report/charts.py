"""The score trend as an inline SVG chart, drawn with matplotlib.

The chart goes into the HTML and the PDF as an ``<svg>`` element: text is drawn as
paths, so the chart needs no font, no file and no network. The object-oriented
``Figure`` API is used instead of pyplot, so no global figure state or GUI backend
is involved.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from auditor.checks.model import Area
from auditor.report.history import TrendPoint

_OVERALL = "#0f2a44"
_AREA = "#2f6fae"
_GRID = "#d0d7de"


def trend_svg(points: Sequence[TrendPoint], areas: Sequence[Area]) -> str:
    """Draw the overall score and one small chart per area, over the given runs.

    Returns the ``<svg>`` element alone, without the XML declaration, ready to be
    placed inside HTML.
    """
    panels: list[tuple[str, list[float], str]] = [("Overall", [_value(p.total) for p in points], _OVERALL)]
    panels += [(area.label, [_value(p.areas.get(area)) for p in points], _AREA) for area in areas]
    columns = 3
    rows = math.ceil(len(panels) / columns)
    labels = [f"#{p.run_id}" for p in points]
    # A fixed hash salt makes the element ids, and so the SVG text, the same for the same data.
    with matplotlib.rc_context({"svg.hashsalt": "ecr-auditor-trend", "svg.fonttype": "path", "font.size": 8}):
        figure = Figure(figsize=(9.0, 2.0 * rows), layout="constrained")
        axes = figure.subplots(rows, columns, squeeze=False, sharex=True, sharey=True)
        for index, ax in enumerate(axes.flat):
            if index >= len(panels):
                ax.set_visible(False)
                continue
            title, values, colour = panels[index]
            _draw(ax, title, labels, values, colour)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _value(score: float | None) -> float:
    return math.nan if score is None else score


def _draw(ax: Axes, title: str, labels: list[str], values: list[float], colour: str) -> None:
    positions = list(range(len(labels)))
    ax.plot(positions, values, marker="o", markersize=3, linewidth=1.6, color=colour)
    ax.set_title(title, fontsize=9, loc="left")
    ax.set_ylim(0, 105)
    ax.set_yticks([0, 50, 100])
    ax.grid(axis="y", color=_GRID, linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    step = max(1, math.ceil(len(labels) / 6))
    ax.set_xticks(positions[::step], labels[::step])
    scored = [i for i, v in enumerate(values) if not math.isnan(v)]
    if scored:
        last = scored[-1]
        ax.annotate(
            f"{values[last]:.1f}",
            (last, values[last]),
            textcoords="offset points",
            xytext=(0, 5),
            fontsize=7,
            ha="center",
        )
    else:
        ax.text(0.5, 0.5, "no scored results", transform=ax.transAxes, ha="center", va="center", color="#6b7280")
    if len(positions) == 1:
        ax.set_xlim(-1, 1)
