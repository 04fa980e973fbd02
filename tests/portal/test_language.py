"""Every word of the portal has its Kiswahili, and every symbolic key its English."""

from __future__ import annotations

import re
from importlib.resources import files

from mteja.customers.addresses.schemas import ADDRESS_FIELDS
from mteja.portal import pages, routes
from mteja.portal.catalog import ENGLISH, KISWAHILI


def _english_strings() -> set[str]:
    found: set[str] = set()
    for template in (files("mteja.portal") / "templates").iterdir():
        text = template.read_text()
        for double, single in re.findall(r'(?<![\w.])t\((?:"([^"]+)"|\'([^\']+)\')\s*[,)]', text):
            found.add(double or single)
    source = (files("mteja.portal") / "pages.py").read_text()
    found.update(re.findall(r'message_page\(\s*request, \d+, "([^"]+)", "([^"]+)"', source)[0])
    # The form checks the portal shares with the dashboard.
    forms = (files("mteja.dashboard") / "forms.py").read_text()
    found.update(re.findall(r'PageError\(\d+, "([^"]+)"\)', forms))
    found.update(message for message in pages._GONE.values())
    found.update({"Link no longer valid", "Not sent"})
    return found


def _symbolic_keys() -> set[str]:
    keys = {f"notice_{notice}" for notice in routes._NOTICES}
    return keys | {f"address_{name}" for name in ADDRESS_FIELDS}


def test_every_string_has_a_kiswahili_translation() -> None:
    strings = _english_strings()
    assert len(strings) > 30
    missing = (strings | _symbolic_keys()) - set(KISWAHILI)
    assert not missing, sorted(missing)
    assert _symbolic_keys() <= set(ENGLISH)
