"""Every span an assessment of a corpus repository cites shows its claim.

Each folder in ``tests/assess/repos`` is assessed as any repository would be, and every
span it cites (evidence, gaps, and the units of coverage counts) is opened: its quote
must be written within its lines (see ``tests/assess/citations.py``).
"""

from __future__ import annotations

import pytest

from tests.assess.citations import misquoted
from tests.assess.maturity.conftest import CORPUS, corpus


@pytest.mark.parametrize("repo", CORPUS)
def test_every_cited_span_shows_its_quote(repo: str) -> None:
    assert misquoted(corpus(repo)) == []


def test_every_corpus_repository_is_checked() -> None:
    # A repository added to the corpus is checked without editing this module.
    assert len(CORPUS) >= 9
