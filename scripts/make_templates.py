"""Build the Word templates in templates_docx/ with python-docx, so they can be rebuilt the same way.

The office may edit the .docx files in Word afterwards (keep the Jinja tags intact, with straight quotes);
then this script is no longer the source of those files, and ``--check`` says which ones differ.

    .venv/bin/python scripts/make_templates.py           # (re)write the templates
    .venv/bin/python scripts/make_templates.py --check   # exit 1 if a committed template differs
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates_docx"
FIXED_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # core properties: reproducible files


def new_document(title: str) -> DocumentObject:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)
    # German as the documents' language (Word's spelling, the PDF's /Lang); render.py sets it again for a
    # template saved by a Word of another language.
    doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(
        qn("w:lang")
    ).set(qn("w:val"), "de-DE")
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    header = section.header.paragraphs[0]
    header.text = "{{ municipality }}"
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = title, "gremienlauf", "gremienlauf"
    props.created = props.modified = FIXED_TIME
    props.revision = 1
    props.language = "de-DE"
    return doc


def para(doc: DocumentObject, text: str = "", *, bold: bool = False, size: int | None = None) -> None:
    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text)
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)


def tag(doc: DocumentObject, text: str) -> None:
    """A paragraph holding only a {%p … %} tag: docxtpl removes the paragraph itself."""
    doc.add_paragraph(text)


def label(doc: DocumentObject, text: str) -> None:
    paragraph = doc.add_paragraph()
    paragraph.paragraph_format.space_before = Pt(12)
    paragraph.add_run(text).bold = True


def table(
    doc: DocumentObject,
    headers: Sequence[str],
    cells: Sequence[str],
    loop: str | None,
    widths: Sequence[float],
) -> Table:
    """A table with a header row and one data row; with ``loop`` ("row in rows") the data row repeats."""
    rows = [list(headers)]
    if loop:
        rows.append([f"{{%tr for {loop} %}}"] + [""] * (len(headers) - 1))
    rows.append(list(cells))
    if loop:
        rows.append(["{%tr endfor %}"] + [""] * (len(headers) - 1))
    grid: Table = doc.add_table(rows=len(rows), cols=len(headers))
    grid.style = doc.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            cell = grid.cell(r, c)
            cell.width = Cm(widths[c])
            cell.paragraphs[0].add_run(value).bold = (r == 0) or None
    return grid


def paragraph_loop(doc: DocumentObject, sequence: str, *, empty: str | None = None) -> None:
    tag(doc, f"{{%p for paragraph in {sequence} %}}")
    para(doc, "{{ paragraph }}")
    tag(doc, "{%p endfor %}")
    if empty:
        tag(doc, f"{{%p if not {sequence} %}}")
        para(doc, empty)
        tag(doc, "{%p endif %}")


# ----------------------------------------------------------------------------------------- the templates


def vorlage() -> DocumentObject:
    """The Beschlussvorlage in the layout of the Wetzlar Vorlage 1562/13."""
    doc = new_document("Beschlussvorlage")
    para(doc, "{{ title }}", bold=True, size=16)
    tag(doc, "{%p if draft %}")
    para(doc, "Entwurf – noch nicht eingereicht", bold=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if not public %}")
    para(doc, "Nicht öffentlich", bold=True)
    tag(doc, "{%p endif %}")
    table(
        doc,
        ["Fachamt/Antragsteller/in", "Datum", "Drucksachen-Nr.: - AZ:"],
        ["{{ department }}", "{{ paper_date }}", "{{ reference_line }}"],
        None,
        [9.0, 3.0, 4.0],
    )
    label(doc, "Beratungsfolge:")
    table(
        doc,
        ["Gremium", "Sitzungsdatum", "TOP", "Abst. Ergebnis"],
        ["{{ row.body }}", "{{ row.date }}", "{{ row.item }}", "{{ row.result }}"],
        "row in consultations",
        [7.0, 3.0, 1.5, 4.5],
    )
    label(doc, "Betreff:")
    para(doc, "{{ subject }}", bold=True)
    label(doc, "Anlage/n:")
    tag(doc, "{%p for attachment in attachments %}")
    para(doc, "{{ attachment }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if not attachments %}")
    para(doc, "keine")
    tag(doc, "{%p endif %}")
    label(doc, "Beschluss:")
    paragraph_loop(doc, "resolution")
    tag(doc, "{%p if signed %}")
    para(doc)
    para(doc, "{{ signed_place }}{% if signed_on %}, den {{ signed_on }}{% endif %}")
    para(doc)
    para(doc, "{{ signatory }}")
    para(doc, "{{ signatory_function }}")
    tag(doc, "{%p endif %}")
    label(doc, "Begründung:")
    paragraph_loop(doc, "justification")
    return doc


def agenda_table(doc: DocumentObject, items: str) -> None:
    table(
        doc,
        ["TOP", "Gegenstand", "Drucksache", "Hinweis"],
        ["{{ item.number }}", "{{ item.title }}", "{{ item.reference }}", "{{ item.note }}"],
        f"item in {items}",
        [1.5, 9.5, 2.5, 2.5],
    )


def invitation() -> DocumentObject:
    """The invitation with its agenda (public and non-public part) and the legal notices."""
    doc = new_document("Einladung")
    para(doc, "Einladung", bold=True, size=16)
    para(doc, "{{ bodies }}", bold=True)
    para(doc, "Sitzung am {{ weekday }}, {{ date }}, um {{ time }} Uhr")
    para(doc, "Ort: {{ location }}")
    tag(doc, "{%p if draft %}")
    para(doc, "Entwurf – die Einladung ist noch nicht versandt", bold=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if cancelled %}")
    para(doc, "Die Sitzung ist abgesagt. {{ cancelled_reason }}", bold=True)
    tag(doc, "{%p endif %}")
    para(doc)
    para(doc, "Sehr geehrte Damen und Herren,")
    tag(doc, "{%p if cancelled %}")
    para(doc, "die oben genannte Sitzung findet nicht statt.")
    tag(doc, "{%p else %}")
    para(doc, "zu der oben genannten Sitzung lade ich Sie ein.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if urgent %}")
    para(doc, "Die Ladungsfrist ist wegen Dringlichkeit abgekürzt. Grund: {{ urgent_reason }}", bold=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if second_session_notice %}")
    para(doc, "{{ second_session_notice }}", bold=True)
    tag(doc, "{%p endif %}")
    label(doc, "Tagesordnung")
    label(doc, "Öffentlicher Teil")
    tag(doc, "{%p if public_items %}")
    agenda_table(doc, "public_items")
    tag(doc, "{%p else %}")
    para(doc, "keine Tagesordnungspunkte")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if non_public_items %}")
    label(doc, "Nichtöffentlicher Teil")
    agenda_table(doc, "non_public_items")
    tag(doc, "{%p endif %}")
    para(doc)
    para(doc, "{{ place }}, den {{ issued_on }}")
    para(doc, "Mit freundlichen Grüßen")
    para(doc)
    para(doc, "{{ chair }}")
    para(doc, "Vorsitz")
    return doc


def minutes() -> DocumentObject:
    """The minutes: attendance, per item outcome, votes and resolution text, signatures."""
    doc = new_document("Niederschrift")
    para(doc, "Niederschrift", bold=True, size=16)
    para(doc, "über {{ meeting_title }}", bold=True)
    para(doc, "Gremium: {{ bodies }}")
    para(
        doc,
        "Datum: {{ date }}, Beginn: {{ start_time }} Uhr{% if end_time %}, Ende: {{ end_time }} Uhr{% endif %}",
    )
    para(doc, "Ort: {{ location }}")
    tag(doc, "{%p if not approved %}")
    para(doc, "Entwurf – die Niederschrift ist noch nicht genehmigt", bold=True)
    tag(doc, "{%p endif %}")
    label(doc, "Anwesend:")
    tag(doc, "{%p for person in present %}")
    para(doc, "{{ person.name }}{% if person.note %} ({{ person.note }}){% endif %}")
    tag(doc, "{%p endfor %}")
    label(doc, "Entschuldigt oder abwesend:")
    tag(doc, "{%p for person in absent %}")
    para(doc, "{{ person.name }}{% if person.note %} ({{ person.note }}){% endif %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if not absent %}")
    para(doc, "niemand")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for line in quorum %}")
    para(doc, "{{ line }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for part in parts %}")
    para(doc, "{{ part.title }}", bold=True, size=13)
    tag(doc, "{%p for item in part.items %}")
    label(doc, "TOP {{ item.number }}: {{ item.title }}")
    tag(doc, "{%p if item.reference %}")
    para(doc, "Drucksache {{ item.reference }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if item.recused %}")
    para(doc, "Befangen, nicht an Beratung und Abstimmung beteiligt: {{ item.recused }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for vote in item.votes %}")
    para(doc, "Abstimmung{% if vote.subject %} ({{ vote.subject }}){% endif %}: {{ vote.summary }}")
    tag(doc, "{%p for line in vote.details %}")
    para(doc, "{{ line }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if item.outcome %}")
    para(doc, "Ergebnis: {{ item.outcome }}", bold=True)
    tag(doc, "{%p elif item.has_paper %}")
    para(doc, "Ergebnis: noch nicht erfasst")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if item.resolution %}")
    para(doc, "{{ item.resolution_label }}:", bold=True)
    tag(doc, "{%p for paragraph in item.resolution %}")
    para(doc, "{{ paragraph }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    para(doc)
    para(doc)
    table(doc, ["{{ chair }}", ""], ["Vorsitz", "Schriftführung"], None, [8.0, 8.0])
    return doc


def resolution_extract() -> DocumentObject:
    """The Beschlussauszug of one agenda item, for the department that carries it out."""
    doc = new_document("Beschlussauszug")
    para(doc, "Beschlussauszug", bold=True, size=16)
    para(doc, "aus der Niederschrift über {{ meeting_title }}")
    para(doc, "Gremium: {{ bodies }}")
    tag(doc, "{%p if department %}")
    para(doc, "An: {{ department }}")
    tag(doc, "{%p endif %}")
    label(doc, "TOP {{ item.number }}: {{ item.title }}")
    tag(doc, "{%p if item.reference %}")
    para(doc, "Drucksache {{ item.reference }}: {{ subject }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for vote in item.votes %}")
    para(doc, "Abstimmung{% if vote.subject %} ({{ vote.subject }}){% endif %}: {{ vote.summary }}")
    tag(doc, "{%p endfor %}")
    para(doc, "Ergebnis: {{ item.outcome }}", bold=True)
    tag(doc, "{%p if item.resolution %}")
    label(doc, "{{ item.resolution_label }}:")
    tag(doc, "{%p for paragraph in item.resolution %}")
    para(doc, "{{ paragraph }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    para(doc)
    para(doc, "Für die Richtigkeit des Auszugs:")
    para(doc, "{{ place }}, den {{ issued_on }}")
    para(doc)
    para(doc, "Schriftführung")
    return doc


BUILDERS: dict[str, Callable[[], DocumentObject]] = {
    "beschlussvorlage.docx": vorlage,
    "einladung.docx": invitation,
    "niederschrift.docx": minutes,
    "beschlussauszug.docx": resolution_extract,
}


def build(name: str) -> bytes:
    out = io.BytesIO()
    BUILDERS[name]().save(out)
    return out.getvalue()


def parts(data: bytes) -> dict[str, bytes]:
    """The contents of a .docx package by part name (zip entry dates differ from build to build)."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {info.filename: package.read(info) for info in package.infolist()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    differing = []
    for name in BUILDERS:
        path = TEMPLATES / name
        data = build(name)
        if args.check:
            if not path.exists() or parts(path.read_bytes()) != parts(data):
                differing.append(name)
        else:
            path.write_bytes(data)
            print(f"geschrieben: {path}")
    if differing:
        print(
            "Diese Vorlagen weichen von scripts/make_templates.py ab: " + ", ".join(differing),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
