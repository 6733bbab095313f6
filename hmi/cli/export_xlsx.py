"""The XLSX workbook of `ms5 export`: a sheet per table, written as SpreadsheetML straight into
the zip file. openpyxl's write_only mode, in pure Python without lxml, took 28 of the 36 s of a
month of the demo line (docs/BENCHMARKS.md, "Export"); the sheets need no style, formula or
shared string, so their XML is a few string joins. openpyxl still reads the workbook (the tests,
`ms5 jobs import`), as a spreadsheet program does.
"""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from core.export_tables import Table, Value

__all__ = ["write_workbook"]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Characters XML 1.0 cannot hold at all: a cell loses them rather than the file breaking.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _cell(v: Value) -> str:
    if v is None:
        return "<c/>"
    if isinstance(v, bool):
        return f'<c t="b"><v>{int(v)}</v></c>'
    if isinstance(v, int):
        return f"<c><v>{v}</v></c>"
    if isinstance(v, float):
        return f"<c><v>{v!r}</v></c>" if math.isfinite(v) else "<c/>"
    text = escape(_ILLEGAL.sub("", v))
    return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _sheet(table: Table) -> str:
    rows = [table.header, *table.rows]
    body = "".join("<row>" + "".join(map(_cell, row)) + "</row>" for row in rows)
    return f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetData>{body}</sheetData></worksheet>'


def write_workbook(tables: list[Table], path: Path) -> None:
    n = range(1, len(tables) + 1)
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{sheet_type}"/>' for i in n
    )
    types = (
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{overrides}</Types>"
    )
    package_rels = (
        f'{_HEAD}<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    sheets = "".join(
        f'<sheet name="{escape(t.name)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, t in zip(n, tables, strict=True)
    )
    workbook = f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheets}</sheets></workbook>'
    links = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in n
    )
    workbook_rels = f'{_HEAD}<Relationships xmlns="{_PKG}">{links}</Relationships>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr("[Content_Types].xml", types)
        zf.writestr("_rels/.rels", package_rels)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        for i, t in zip(n, tables, strict=True):
            zf.writestr(f"xl/worksheets/sheet{i}.xml", _sheet(t))
