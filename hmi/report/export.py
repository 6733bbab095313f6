"""The shift report (hmi/report/view.py) written to paper; the CSV is hmi/report/export_csv.py.

`write_pdf` lays the report out as a QTextDocument (real text, so the PDF can be searched and
copied from) with the charts of hmi/report/charts.py as pictures, on A4 pages headed by the line
and shift and numbered; it needs a QGuiApplication.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPageLayout,
    QPageSize,
    QPaintDevice,
    QPainter,
    QPdfWriter,
    QTextDocument,
)

from hmi.report.charts import hms, paint_hourly, paint_pareto, paint_waterfall, print_colors
from hmi.report.export_csv import num, when

# The charts go in as pictures of this many pixels, shown this many points wide (the A4 page's
# width inside its 15 mm margins is 510 pt).
CHART_PX = (1500, 560)
CHART_RECT = QRectF(20, 20, CHART_PX[0] - 40, CHART_PX[1] - 40)  # where in the picture a chart is drawn
CHART_WIDTH_PT = 500
# Readable at a glance on A4: no text of a chart below this on paper.
MIN_LABEL_PT = 8.0
CHART_MIN_TEXT_PX = math.ceil(MIN_LABEL_PT * CHART_PX[0] / CHART_WIDTH_PT)
# A QTextDocument sizes an <img> in pixels of a 96 dpi screen, scaled to the paint device.
_CSS_PX_PER_PT = 96 / 72
HEADER_PT = 9.0  # the page header and footer's type


def pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f} %"


def _clock(ts: float, tz: str) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%H:%M")


def title(line: dict[str, Any]) -> str:
    shift = line["shift"]
    tz = line["timezone"]
    if not shift["name"]:
        # A window that is not one shift: both ends in full, it may span days.
        end = line["window"]["end"]
        return f"{line['name']} ({line['id']}), {when(shift['start'], tz)[:16]} to {when(end, tz)[:16]}"
    return (
        f"{line['name']} ({line['id']}), shift {shift['name']} {when(shift['start'], tz)[:16]} to "
        f"{_clock(shift['end'], tz)}"
    )


def _chart(paint: Callable[[QPainter, QRectF], None]) -> QImage:
    img = QImage(*CHART_PX, QImage.Format.Format_RGB32)
    img.fill(QColor("white"))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    paint(p, CHART_RECT)
    p.end()
    return img


def _table(
    header: list[str], rows: list[list[str]], *, right: set[int] | None = None, small: bool = False
) -> str:
    right = right or set()
    # A wide table in smaller type rather than words broken inside (Qt breaks "maintenance").
    size = ' style="font-size: 8pt"' if small else ""

    def cell(tag: str, i: int, text: str) -> str:
        align = ' align="right"' if i in right else ""
        return f"<{tag}{align}{size}>{html.escape(text)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>" for r in rows)
    # <thead>: a table that runs onto the next page repeats its header there.
    return (
        '<table cellspacing="0" cellpadding="3" border="1" width="100%">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def print_charts(line: dict[str, Any]) -> dict[str, Callable[[QPainter, QRectF], None]]:
    """How each of the line's three charts is painted for paper: type no smaller than MIN_LABEL_PT
    once the picture is shown CHART_WIDTH_PT wide."""
    tz = line["timezone"]
    colors = print_colors()
    px = CHART_MIN_TEXT_PX
    return {
        "waterfall": lambda p, r: paint_waterfall(p, r, line["waterfall"], colors, min_px=px),
        "pareto": lambda p, r: paint_pareto(p, r, line["pareto"], colors, min_px=px),
        "hourly": lambda p, r: paint_hourly(p, r, line["hourly"], tz, colors, min_px=px),
    }


def _line_charts(line: dict[str, Any], n: int, doc: QTextDocument) -> None:
    """The line's three charts as pictures of `doc`, at chart://<n>/<name>."""
    charts = {name: _chart(paint) for name, paint in print_charts(line).items()}
    for name, picture in charts.items():
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"chart://{n}/{name}"), picture)


def _metrics_html(line: dict[str, Any]) -> str:
    tz = line["timezone"]
    m = line["metrics"]
    flags = f" (flagged: {', '.join(m['flags'])})" if m["flags"] else ""
    intro = (
        f"<p>Figures up to {html.escape(when(line['window']['end'], tz))}; line figures are those of "
        f"the constraint {html.escape(line['constraint'])}.{html.escape(flags)}</p>"
    )
    doubts = m["doubts"]
    if doubts:
        intro += f"\n<p><b>! Doubtful data:</b> {html.escape('; '.join(doubts))}.</p>"
    figures = [
        pct(m["oee"]) + (" !" if doubts else ""),
        pct(m["availability"]),
        pct(m["performance"]),
        pct(m["quality"]),
        pct(line["target_oee"]),
        str(m["good_count"]),
        str(m["reject_count"]),
        str(m["total_count"]),
    ]
    header = ["OEE", "Availability", "Performance", "Quality", "Target OEE", "Good", "Reject", "Total"]
    return intro + "\n" + _table(header, [figures], right=set(range(8)))


def _waterfall_html(line: dict[str, Any]) -> str:
    rows = [
        [s["label"], s["factor"] or "", hms(s["seconds"]), f"{s['seconds']:.1f}"] for s in line["waterfall"]
    ]
    return _table(["Step", "Factor", "Time", "Seconds"], rows, right={2, 3})


def _pareto_html(line: dict[str, Any]) -> str:
    rows = [
        [
            r["reason"],
            r["category"],
            ", ".join(r["equipment"]),
            hms(r["duration_s"]),
            str(r["count"]),
            pct(r["share"]),
            pct(r["cumulative_share"]),
        ]
        for r in line["pareto"]
    ]
    header = ["Reason", "Category", "Machines", "Time", "Stops", "Share", "Cumulative"]
    return _table(header, rows or [["No downtime", *[""] * 6]], right={3, 4, 5, 6}, small=True)


def _hourly_html(line: dict[str, Any]) -> str:
    tz = line["timezone"]
    rows = [
        [
            f"{_clock(h['start'], tz)}-{_clock(h['end'], tz)}",
            num(h["good_count"]) or "-",
            num(h["total_count"]) or "-",
            num(h["reject_count"]) or "-",
            "-" if h["target"] is None else f"{h['target']:.0f}",
        ]
        for h in line["hourly"]
    ]
    return _table(["Hour", "Good", "Total", "Reject", "Target"], rows, right={1, 2, 3, 4})


def _line_html(line: dict[str, Any], n: int, doc: QTextDocument) -> str:
    _line_charts(line, n, doc)

    def img(name: str) -> str:
        return f'<p><img src="chart://{n}/{name}" width="{round(CHART_WIDTH_PT * _CSS_PX_PER_PT)}"></p>'

    parts = [
        f"<h2>{html.escape(title(line))}</h2>",
        _metrics_html(line),
        "<h3>Losses: planned production time to fully productive time</h3>",
        img("waterfall"),
        _waterfall_html(line),
        "<h3>Downtime by reason, every machine of the line</h3>",
        img("pareto"),
        _pareto_html(line),
        "<h3>Production per hour against target</h3>",
        img("hourly"),
        _hourly_html(line),
        "<h3>Andon response times</h3>",
        _andon_html(line),
    ]
    return "\n".join(parts)


def _andon_html(line: dict[str, Any]) -> str:
    tz = line["timezone"]
    s = line["andon_summary"]
    summary = (
        f"<p>{s['calls']} calls, {s['acknowledged']} acknowledged (mean {hms(s['mean_to_acknowledge_s'])}, "
        f"longest {hms(s['max_to_acknowledge_s'])}), {s['resolved']} resolved "
        f"(mean {hms(s['mean_to_resolve_s'])}, longest {hms(s['max_to_resolve_s'])}).</p>"
    )
    rows = [
        [
            f"#{c['id']}",
            c["equipment"],
            c["kind"],
            _clock(c["raised_at"], tz),
            _who(hms(c["time_to_acknowledge_s"]), c["acknowledged_by"], c["acknowledged_at"]),
            _who(hms(c["time_to_resolve_s"]), c["resolved_by"], c["resolved_at"]),
            str(c["max_level"]),
            c["state"],
        ]
        for c in line["andon"]
    ]
    header = ["Call", "Machine", "Kind", "Raised", "To acknowledge", "To resolve", "Level", "State"]
    return summary + _table(header, rows or [["No calls", *[""] * 7]], right={6}, small=True)


def _jobs_html(report: dict[str, Any], line: dict[str, Any]) -> str:
    """Each job run or planned on the line in the window (`ms5 report` adds them: core.job_figures)."""
    jobs = [j for j in report.get("jobs", ()) if j["line"] == line["id"]]
    if not jobs:
        return ""

    def at(text: str | None) -> str:  # ISO with the line's offset
        return "-" if text is None else datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M")

    def qty(n: int | None) -> str:
        return "-" if n is None else f"{n:,}"

    rows = [
        [
            j["job"] or "-",
            j["product"],
            qty(j["target_quantity"]),
            qty(j["actual_quantity"]),
            f"{at(j['planned_start'])} – {at(j['planned_end'])}",
            f"{at(j['actual_start'])} – {at(j['actual_end']) if not j['running'] else 'running'}",
            pct(j["oee"]),
        ]
        for j in jobs
    ]
    header = ["Job", "Product", "Target", "Actual", "Planned", "Ran", "OEE"]
    return "<h3>Jobs: target against actual</h3>" + _table(header, rows, right={2, 3, 6}, small=True)


def _figure(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "; ".join(
            ", ".join(f"{k} {_figure(v)}" for k, v in x.items()) if isinstance(x, dict) else _figure(x)
            for x in value
        )
    return str(value)


def _insights_html(report: dict[str, Any], line: dict[str, Any]) -> str:
    """The window's insights on the line (core/report_insights.py), each with the figures it rests
    on and the comparison it makes, as `ms5 trend` gives them."""
    if "insights" not in report:
        return ""
    found = [i for i in report["insights"] if i["subject"] == line["id"]]
    if not found:
        return "<h3>Insights</h3><p>None: no rule's threshold was reached.</p>"
    items = []
    for i in found:
        figures = ", ".join(f"{k}: {_figure(v)}" for k, v in i["figures"].items())
        items.append(
            f"<li>{html.escape(i['text'])}<br><small>{html.escape(i['comparison'])}. "
            f"Figures: {html.escape(figures)}</small></li>"
        )
    return "<h3>Insights</h3><ul>" + "".join(items) + "</ul>"


def _who(duration: str, user: str | None, at: float | None) -> str:
    if at is None:
        return "-"
    return f"{duration} ({user or 'PLC'})"


def report_document(report: dict[str, Any], device: QPaintDevice | None = None) -> QTextDocument:
    """The report laid out for `device` (its fonts and resolution), or for the screen."""
    doc = QTextDocument()
    if device is not None:
        doc.documentLayout().setPaintDevice(device)
    doc.setDefaultStyleSheet(
        "body { font-size: 9pt; } h2 { font-size: 14pt; } h3 { font-size: 11pt; } th { background: #e8e8e8; }"
    )
    title_html = f"<h1>Shift report, {html.escape(report['site'])}</h1>"
    if report.get("previous"):
        title_html += "<p>Previous shift.</p>"
    bodies = [
        _line_html(line, n, doc) + _jobs_html(report, line) + _insights_html(report, line)
        for n, line in enumerate(report["lines"])
    ]
    doc.setHtml("<body>" + title_html + "<hr>".join(bodies) + "</body>")
    return doc


def page_header(report: dict[str, Any]) -> str:
    """What heads every page: the line's name and shift (each line's, when there are several)."""
    return " · ".join(title(line) for line in report["lines"]) or f"Shift report, {report['site']}"


def page_number(page: int, pages: int) -> str:
    return f"Page {page} of {pages}"


def write_pdf(report: dict[str, Any], path: str | Path) -> Path:
    """An A4 PDF of the report, every page headed by the line and shift and numbered "Page 1 of
    2". Needs a QGuiApplication (a QApplication will do)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(target))
    writer.setTitle(f"Shift report, {report['site']}")
    writer.setCreator("MS5 Floor")
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(15, 15, 15, 15),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setResolution(300)
    doc = report_document(report, writer)
    frame = doc.rootFrame().frameFormat()
    frame.setMargin(0)
    doc.rootFrame().setFrameFormat(frame)
    width, height = float(writer.width()), float(writer.height())
    band = HEADER_PT * 2.4 * writer.resolution() / 72  # the header's (and the footer's) height
    body_h = height - 2 * band
    doc.setPageSize(QSizeF(width, body_h))
    pages = doc.pageCount()
    painter = QPainter()
    if not painter.begin(writer):
        raise OSError(f"cannot write {target}")
    try:
        font = QFont(doc.defaultFont())
        font.setPointSizeF(HEADER_PT)
        header = page_header(report)
        for i in range(pages):
            if i:
                writer.newPage()
            # Header, body, footer in reading order: the PDF's text comes out in that order too.
            painter.setFont(font)
            painter.setPen(QColor("#202020"))
            top = QRectF(0, 0, width, band * 0.8)
            painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, header)
            painter.drawLine(QPointF(0, band * 0.85), QPointF(width, band * 0.85))
            painter.save()
            painter.translate(0, band - i * body_h)
            doc.drawContents(painter, QRectF(0, i * body_h, width, body_h))
            painter.restore()
            painter.setFont(font)
            painter.setPen(QColor("#202020"))
            bottom = QRectF(0, height - band * 0.8, width, band * 0.8)
            painter.drawText(
                bottom, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, page_number(i + 1, pages)
            )
    finally:
        painter.end()
    return target
