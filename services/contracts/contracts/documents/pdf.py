"""Contract and account statement as tagged, archivable PDF: pure functions from document data to bytes.

The wording lives in Jinja2 HTML templates beside this module (templates/); WeasyPrint lays them
out and writes PDF/A-3a (archivable, level A: tagged structure, Unicode text), to which the XMP
identification of PDF/UA-1 is added with the PDF/A extension schema that declares it — WeasyPrint
writes one variant per call, and PDF/A-3a already brings what PDF/UA needs of the file (structure
tree from the HTML, /Lang from `<html lang>`, the title from `<title>` shown as window title,
embedded fonts). Its authors call conformance experimental: the tests check what can be checked
here, a validator such as veraPDF the rest.

Only the DejaVu Sans fonts shipped in fonts/ are used, never the system's: the same document gives
the same bytes on every machine (the dates in the file are the document's own `generated_at`). A
character those fonts cannot draw is replaced by "?" and the document says so, rather than a name
silently losing letters on a signed contract.
"""

from __future__ import annotations

import atexit
import dataclasses
import shutil
import threading
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jinja2

from . import formats
from .model import CLAIM_STATUS_LABELS, KIND_LABELS, REASON_LABELS, STATE_LABELS, ContractDocument, StatementDocument

HERE = Path(__file__).parent
FONT_DIR = HERE / "fonts"
TEMPLATES = HERE / "templates"
PDF_VARIANT = "pdf/a-3a"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a clause whose value is missing fails the render, not the reader
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(euro=formats.euro, date=formats.german_date, datetime=formats.german_datetime,
                       enumeration=formats.german_list, version_date=formats.version_date,
                       css_string=formats.css_string)
    env.globals.update(KIND_LABELS=KIND_LABELS, STATE_LABELS=STATE_LABELS, REASON_LABELS=REASON_LABELS,
                       CLAIM_STATUS_LABELS=CLAIM_STATUS_LABELS, timedelta=timedelta)
    return env


RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
# PDF/A validators expect the extension schema under its customary prefixes
for _prefix, _uri in (("pdfaExtension", "http://www.aiim.org/pdfa/ns/extension/"),
                      ("pdfaSchema", "http://www.aiim.org/pdfa/ns/schema#"),
                      ("pdfaProperty", "http://www.aiim.org/pdfa/ns/property#")):
    ElementTree.register_namespace(_prefix, _uri)


@lru_cache(maxsize=1)
def _pdfua_descriptions() -> tuple[bytes, ...]:
    root = ElementTree.fromstring((TEMPLATES / "pdfua-identification.xmp").read_bytes())
    return tuple(ElementTree.tostring(d) for d in root.findall(f"{RDF}Description"))


# WeasyPrint (and fontTools) are imported when the web app starts (`preload`) or on the first render,
# not with the package: importing them takes seconds on a busy machine, and the worker, which renders
# nothing, should not wait for that.


@lru_cache(maxsize=1)
def _archival_metadata() -> type:
    from weasyprint.pdf.metadata import DocumentMetadata

    class ArchivalMetadata(DocumentMetadata):
        """WeasyPrint's metadata with the PDF/UA-1 identification in the same rdf:RDF as the PDF/A
        one (its `xmp_metadata` option would add a second rdf:RDF, which XMP readers may ignore)."""

        def generate_rdf_metadata(self, variant, version, conformance):
            rdf = ElementTree.fromstring(super().generate_rdf_metadata(variant, version, conformance))
            rdf.extend(ElementTree.fromstring(d) for d in _pdfua_descriptions())
            return ElementTree.tostring(rdf, encoding="utf-8")

    return ArchivalMetadata


_fonts = threading.local()
_font_configs: list[Any] = []


@atexit.register
def _remove_font_folders() -> None:
    """WeasyPrint copies @font-face fonts into a temporary folder per FontConfiguration and removes it
    in __del__, which fails at interpreter exit: the cached configurations are cleaned here instead."""
    for config in _font_configs:
        folder, config._folder = getattr(config, "_folder", None), None
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def _stylesheet() -> tuple[Any, Any, Any]:
    """The stylesheet with its fonts and counter styles, loaded once per thread (fonts are the slow part)."""
    if not hasattr(_fonts, "css"):
        from weasyprint import CSS
        from weasyprint.css.counters import CounterStyle
        from weasyprint.text.fonts import FontConfiguration

        _fonts.config, _fonts.counters = FontConfiguration(), CounterStyle()
        _font_configs.append(_fonts.config)
        _fonts.css = CSS(filename=str(TEMPLATES / "document.css"), font_config=_fonts.config,
                         counter_style=_fonts.counters)
    return _fonts.config, _fonts.counters, _fonts.css


@lru_cache(maxsize=1)
def _covered_code_points() -> frozenset[int]:
    """Characters both shipped fonts can draw."""
    from fontTools.ttLib import TTFont

    regular = TTFont(FONT_DIR / "DejaVuSans.ttf").getBestCmap()
    bold = TTFont(FONT_DIR / "DejaVuSans-Bold.ttf").getBestCmap()
    return frozenset(regular) & frozenset(bold)


def _drawable(text: str) -> tuple[str, bool]:
    """`text` with characters the fonts cannot draw replaced by "?", and whether any were."""
    covered = _covered_code_points()
    out = "".join(c if ord(c) in covered or c in "\n\t" else "?" for c in text)
    return out, out != text


def _drawable_fields(doc: Any) -> tuple[Any, bool]:
    changes, replaced = {}, False
    for f in dataclasses.fields(doc):
        value = getattr(doc, f.name)
        if isinstance(value, str):
            changes[f.name], hit = _drawable(value)
            replaced |= hit
    return dataclasses.replace(doc, **changes), replaced


def _render(template: str, **context: Any) -> bytes:
    from weasyprint import HTML

    html = _environment().get_template(template).render(**context)
    font_config, counters, css = _stylesheet()
    document = HTML(string=html, base_url=str(TEMPLATES)).render(
        stylesheets=[css], font_config=font_config, counter_style=counters)
    document.metadata = _archival_metadata()(**vars(document.metadata))
    return document.write_pdf(pdf_variant=PDF_VARIANT)


def preload() -> None:
    """Import WeasyPrint and load the fonts and stylesheet for this thread now, so that the first
    document a web process serves costs a render, not seconds of imports (the web app calls it at
    start; the worker never renders)."""
    _stylesheet()
    _covered_code_points()
    _archival_metadata()


def render_contract_pdf(doc: ContractDocument) -> bytes:
    """The guarantee contract (Garantievertrag) with its full text."""
    doc, replaced = _drawable_fields(doc)
    return _render("garantievertrag.html.j2", doc=doc, replaced=replaced)


def render_statement_pdf(doc: StatementDocument) -> bytes:
    """The account statement (Kontoauszug) of a contract: caps, claims, what remains."""
    doc, replaced = _drawable_fields(doc)
    return _render("kontoauszug.html.j2", doc=doc, replaced=replaced)
