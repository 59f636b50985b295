"""Every public page in Dutch, German and English shows the data in that language.

A crawl from each language's home page follows the site's own links (a few pages of each
kind, so every page type is seen) and looks, in what a reader sees or hears (text, and the
alt, title and aria-label attributes), for any French text of the shipped data whose
translation differs: a title, a description, a unit or a taxonomy label left in French.
A text the page marks as French (`lang="fr"`, as a file's preview) is what it says it is.
"""

from __future__ import annotations

import html
import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.urls import Resolver404, resolve
from modeltranslation.translator import translator

from pilotage.core.i18n import language_codes
from pilotage.strategies.models import StrategyNode

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

OTHERS = [code for code in language_codes() if code != "fr"]
PER_KIND = 3  # pages of each kind (URL name) visited per language
# A label is a text of its own (a link, a cell, a heading); a longer French text is sought
# inside any text as well ("Liège" stands in addresses, "Gouvernement" in names).
INSIDE = 25
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
SPOKEN = ("alt", "title", "aria-label", "aria-description", "placeholder")
# Not the public site: the back-office and the API have their own tests.
NOT_PAGES = ("/admin/", "/api/", "/static/", "/account/")


class _Reader(HTMLParser):
    """The texts a page shows outside any part marked as French, and its links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self.open: list[tuple[str, bool]] = []  # (tag, inside a part marked French)

    def _french(self) -> bool:
        return bool(self.open) and self.open[-1][1]

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        french = self._french() or attributes.get("lang", "") == "fr"
        if tag not in VOID:
            self.open.append((tag, french))
        if not french:
            self.parts.extend(attributes[name] for name in SPOKEN if attributes.get(name))
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])

    def handle_endtag(self, tag):
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self._french() and data.strip():
            self.parts.append(_spaced(data))


def _spaced(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def _translations(code: str) -> list[tuple[str, str]]:
    """(French, translation) of every shipped text whose translation differs."""
    pairs = set()
    for model in translator.get_registered_models():
        fields = translator.get_options_for_model(model).fields
        names = [f"{field}_{lang}" for field in fields for lang in ("fr", code)]
        for row in model._base_manager.values_list(*names):
            for position in range(0, len(row), 2):
                french, other = _spaced(row[position] or ""), _spaced(row[position + 1] or "")
                if french and other and french != other:
                    pairs.add((french, other))
    for node in StrategyNode.objects.all():
        for value in node.values:
            french, other = _spaced(value.get("fr") or ""), _spaced(value.get(code) or "")
            if french and other and french != other:
                pairs.add((french, other))
    return sorted(pairs)


def _kind(path: str) -> str | None:
    if any(path.startswith(prefix) or f"/{path[1:3]}{prefix}" in path for prefix in NOT_PAGES):
        return None
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


def _crawl(client, code: str):
    """(path, what it shows) for a few pages of each kind the site links to."""
    # The home page, and the site search, which only a form leads to.
    starts = [f"/{code}/", f"/{code}/search/?q=num%C3%A9rique"]
    queue, seen, kinds = deque(starts), set(starts), Counter()
    while queue:
        path = queue.popleft()
        response = client.get(path, HTTP_HOST="localhost")
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        reader = _Reader()
        reader.feed(response.content.decode())
        yield path, reader.parts
        for href in reader.links:
            link = urldefrag(href)[0]
            if not link.startswith(f"/{code}/") or link in seen:
                continue
            kind = _kind(link)
            if kind is None or kinds[kind] >= PER_KIND:
                continue
            seen.add(link)
            kinds[kind] += 1
            queue.append(link)


@pytest.mark.parametrize("code", OTHERS)
def test_no_page_shows_a_french_data_label_where_a_translation_exists(client, shipped_data, code):
    pairs = _translations(code)
    french = {text for text, _other in pairs}
    # A translation that holds a French text (a name kept in a longer title) is read away
    # first, so that only a French text standing alone counts.
    own = sorted({other for _french, other in pairs}, key=len, reverse=True)
    long = [text for text in french if len(text) >= INSIDE]
    found, pages = {}, Counter()
    for path, parts in _crawl(client, code):
        pages[_kind(path)] += 1
        left = {part for part in parts if part in french}
        shown = " | ".join(parts)
        for text in own:
            shown = shown.replace(text, " ")
        left |= {text for text in long if text in shown}
        if left:
            found[path] = sorted(left)
    assert len(pages) >= 8, pages  # home, strategy, node, action, indicator, registry, …
    assert not found, "\n".join(f"{path}: {texts[:5]}" for path, texts in found.items())
