"""Issue 17 item 7: the Word file a coordinator files in the case system.

It said "Se handlingsplanen nedan" below the plan it points at, its metadata said author "python-docx",
created 2013 (python-docx's template), and no page said that it holds information under secrecy.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

from docx import Document

from bot.cards.agenda import ActionView, ProtokollView
from bot.i18n import Translator
from bot.protokoll import handlingsplan_docx

CODE = "SSPF-2027-007"


def _view(t: Translator) -> ProtokollView:
    action = ActionView(
        id="a1",
        kind="laxlasning",
        text="Läxläsning tisdagar",
        agency="skola",
        responsible="Rita Rektor",
        due_on="2027-04-01",
        follow_up_on=None,
        status="open",
        comment=None,
        version=1,
    )
    return ProtokollView(
        run_id="run123456",
        title="Individuellt SSPF-möte",
        case_code=CODE,
        held_on="2027-03-09",
        attendees=[("Rita Rektor", "Skola")],
        sections=[
            ("Lägesbild", ["Skola – Rita Rektor: går bättre"]),
            ("Handlingsplan", [t("agenda.see_action_plan")]),
        ],
        actions=[action],
    )


def _open(data: bytes):
    return Document(io.BytesIO(data))


def _body_order(doc) -> list[str]:
    """The body as Word shows it: paragraphs' text and "<table>" where the table is."""
    order = []
    for child in doc.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "tbl":
            order.append("<table>")
        elif tag == "p":
            order.append("".join(node.text or "" for node in child.iter() if node.tag.endswith("}t")))
    return order


def test_the_pointer_to_the_plan_points_up_where_the_plan_is():
    t = Translator("sv")
    doc = _open(handlingsplan_docx(t, _view(t)))
    order = _body_order(doc)
    assert "Se handlingsplanen nedan." not in order
    pointer = order.index("Se handlingsplanen överst i dokumentet.")
    assert order.index("<table>") < pointer


def test_metadata_is_the_bots_with_todays_date_and_no_personal_data():
    t = Translator("sv")
    data = handlingsplan_docx(t, _view(t))
    props = _open(data).core_properties
    assert props.author == "SSPF-boten" and props.last_modified_by == "SSPF-boten"
    assert abs(props.created - datetime.now(UTC)) < timedelta(minutes=5)
    assert CODE in props.title and "2027-03-09" in props.title
    assert props.comments == "" and props.subject == "" and props.keywords == ""
    core = zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml").decode()
    assert "python-docx" not in core and "2013" not in core
    assert "Rita" not in core and "Läxläsning" not in core


def test_every_page_carries_the_secrecy_marking_and_a_page_number():
    t = Translator("sv")
    doc = _open(handlingsplan_docx(t, _view(t)))
    marking = "Innehåller uppgifter som kan omfattas av sekretess (OSL). Sprid inte vidare."
    for section in doc.sections:
        assert section.header.paragraphs[0].text == marking
        footer = section.footer.paragraphs[0]
        assert marking in footer.text and "Sida" in footer.text
        fields = [
            f.get(f"{{{footer._p.nsmap['w']}}}instr") for f in footer._p.iter() if f.tag.endswith("fldSimple")
        ]
        assert fields == ["PAGE", "NUMPAGES"]


def test_in_english_too():
    t = Translator("en")
    doc = _open(handlingsplan_docx(t, _view(t)))
    assert "See the action plan at the top of the document." in _body_order(doc)
    assert "secrecy" in doc.sections[0].header.paragraphs[0].text
