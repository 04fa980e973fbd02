"""English and Kiswahili: choosing the language of a request, and translating to it.

Strings are written in English in the templates and the code (``t("Customers")``); the
Kiswahili catalog maps each to its translation. English is the fallback for a string the
catalog lacks, and a test checks that it lacks none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mteja.dashboard.catalog import ENGLISH, KISWAHILI

LANGUAGES = ("en", "sw")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "sw": "Kiswahili"}
_CATALOGS: dict[str, dict[str, str]] = {"en": ENGLISH, "sw": KISWAHILI}

Translate = Callable[..., str]


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The ``lang`` cookie when it names a language we have, else the best of
    ``Accept-Language`` (q-values respected, ``sw-TZ`` counting as ``sw``), else English."""
    if cookie in LANGUAGES:
        return cookie
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for tag, q in _ranges(accept_language or ""):
        language = tag.split("-", 1)[0]
        # Among equal q-values the header's first wins: a later one must be strictly better.
        if language in LANGUAGES and q > best_q:
            best, best_q = language, q
    return best


def _ranges(header: str) -> list[tuple[str, float]]:
    ranges: list[tuple[str, float]] = []
    for part in header.split(",")[:32]:
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                q = _quality(value.strip())
        if tag:
            ranges.append((tag.strip().lower(), q))
    return ranges


def _quality(value: str) -> float:
    try:
        q = float(value)
    except ValueError:
        return 0.0
    return q if 0.0 <= q <= 1.0 else 0.0


def translator(language: str) -> Translate:
    catalog = _CATALOGS.get(language, {})

    def translate(message: str, **values: Any) -> str:
        text = catalog.get(message, message)
        return text.format(**values) if values else text

    return translate
