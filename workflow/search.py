"""Full-text search over papers: PostgreSQL's German text search, and a stemmed fallback for SQLite."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer
from sqlalchemy import ColumnElement, and_, false, func, literal_column, or_, true

from workflow.models import Paper

_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("german")


def stems(text: str) -> list[str]:
    """German Snowball stems of the words of ``text``, lower case, in order."""
    words = [w.lower() for w in _WORD.findall(text)]
    return [str(s) for s in _stemmer().stemWords(words)]


def search_document(*texts: str) -> str:
    """What the SQLite fallback searches: the distinct stems, space-separated with spaces at both ends."""
    seen = dict.fromkeys(stem for text in texts for stem in stems(text or ""))
    return " " + " ".join(seen) + " "


def refresh_search_text(paper: Paper) -> None:
    paper.search_text = search_document(paper.subject, paper.proposed_resolution, paper.justification)


# The search words are stemmed with the same configuration as the stored text.
GERMAN: ColumnElement[str] = literal_column("'german'::regconfig")

# The stored German tsvector of a paper (migration 0022; PostgreSQL only, not mapped, so never loaded):
# to_tsvector('german', subject || ' ' || proposed_resolution || ' ' || justification), indexed by
# ix_paper_search_vector.
SEARCH_VECTOR: ColumnElement[object] = literal_column("paper.search_vector")


def matches(query: str, dialect: str) -> ColumnElement[bool]:
    """A WHERE clause: the paper matches every word of ``query`` (German stemming on both sides)."""
    if dialect == "postgresql":
        return SEARCH_VECTOR.op("@@")(func.websearch_to_tsquery(GERMAN, query))
    terms = [s for s in stems(query) if s]
    if not terms:
        return false()
    return and_(*[Paper.search_text.contains(f" {term} ", autoescape=True) for term in terms])


def subject_or_reference_has(text: str) -> ColumnElement[bool]:
    """A WHERE clause for the office's lists: every word of ``text`` occurs in the Betreff or the
    Drucksachen-Nr. (a part of a word is enough; case ignored)."""
    words = text.split()
    if not words:
        return true()
    return and_(
        *[
            or_(
                Paper.subject.icontains(word, autoescape=True),
                Paper.reference.icontains(word, autoescape=True),
            )
            for word in words
        ]
    )
