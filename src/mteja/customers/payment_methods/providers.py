"""Mobile-money providers: the documented slugs, mobile-number normalisation and inference.

Numbers
    A payment method carries no other hint of its country, so numbers must be written in
    international format: ``+`` or ``00``, the country code, then the national number.
    Spaces, dashes, dots and brackets between digits are allowed (``+255 (0)754-123-456``
    works; phonenumbers drops the bracketed trunk ``0``). Letters (vanity numbers,
    extensions) and non-ASCII digits are refused rather than guessed at.

    The number must be valid and of type ``MOBILE`` or ``FIXED_LINE_OR_MOBILE``. The latter
    is accepted because it is phonenumbers saying "cannot tell", not "landline": refusing it
    would refuse real mobile numbers (Benin's ``01 28`` Celtiis range, every NANP and Mexican
    number). Anything phonenumbers knows to be a landline (``FIXED_LINE``), and every other
    type (VoIP, toll-free, pager, personal, ...), is refused.

Providers
    ``PROVIDERS`` maps each lower-case slug to its display name and the countries (ISO 3166
    alpha-2) where it operates; a client may send any slug that operates in the number's
    country. The private ``_TABLE`` below also records, per country, the mobile networks whose
    subscribers the provider serves, spelled exactly as ``phonenumbers.carrier`` names them
    (observed with phonenumbers 9.0.43, not guessed: the tests hold one real number range per
    network so that a renamed carrier in a phonenumbers upgrade fails loudly).

Inference
    ``infer_provider`` looks up the network phonenumbers assigns to the number's prefix and
    answers only when exactly one provider can serve that number: one tied to that network,
    and no network-independent wallet (Wave) in the country. Networks with no known wallet,
    MVNOs and unknown prefixes give ``None``, and the caller asks for the provider.

    This is a best guess. Numbers move between networks (mobile number portability exists in
    Kenya, Ghana, Nigeria, Tanzania, ...), phonenumbers knows the network that was allocated
    the prefix, not the one serving the subscriber today, and a subscriber may use a wallet on
    another network. Clients that know the provider should send it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

import phonenumbers
from phonenumbers import PhoneNumberType, carrier

# A wallet open to subscribers of every network in the country (not inferable from a number).
ANY_NETWORK: Final = "*"

_Networks = tuple[str, ...] | Literal["*"]

# slug, display name, {country: carrier names as phonenumbers spells them, or ANY_NETWORK}.
# An empty tuple would mean "operates there, on a network phonenumbers does not name".
_TABLE: Final[tuple[tuple[str, str, Mapping[str, _Networks]], ...]] = (
    (
        "mpesa",
        "M-Pesa",
        {
            "CD": ("Vodacom",),
            "ET": ("Safaricom",),
            "KE": ("Safaricom",),
            "LS": ("Vodacom Lesotho (Pty) Ltd",),
            "MZ": ("Vodacom",),
            "TZ": ("Vodacom",),
        },
    ),
    (
        "airtel_money",
        "Airtel Money",
        {
            "CD": ("Airtel",),
            "CG": ("Airtel",),
            "GA": ("Airtel",),
            "KE": ("Airtel",),
            "MG": ("Airtel",),
            "MW": ("Airtel",),
            "NE": ("Airtel",),
            # Airtel's payment service bank in Nigeria trades as SmartCash.
            "NG": ("Airtel",),
            "RW": ("Airtel",),
            "TD": ("Airtel",),
            "TZ": ("Airtel",),
            "UG": ("Airtel",),
            "ZM": ("Airtel",),
        },
    ),
    (
        "mtn_momo",
        "MTN MoMo",
        {
            "BJ": ("MTN",),
            "CG": ("MTN",),
            "CI": ("MTN",),
            "CM": ("MTN Cameroon",),
            "GH": ("MTN",),
            # MTN Liberia trades as Lonestar Cell MTN.
            "LR": ("Lonestar Cell",),
            "NG": ("MTN",),
            "RW": ("MTN",),
            "SS": ("MTN",),
            "SZ": ("Swazi MTN",),
            "UG": ("MTN",),
            "ZM": ("MTN",),
        },
    ),
    (
        "orange_money",
        "Orange Money",
        {
            "BF": ("Orange",),
            "BW": ("Orange",),
            "CD": ("Orange",),
            "CF": ("Orange",),
            "CI": ("Orange",),
            "CM": ("Orange",),
            "GN": ("Orange",),
            "LR": ("Orange",),
            "MG": ("Orange",),
            "ML": ("Orange",),
            "SL": ("Orange",),
            "SN": ("Orange",),
            # Not NE: Orange Niger was sold in 2019 (now Zamani Telecom) but phonenumbers
            # still labels its ranges "Orange".
        },
    ),
    (
        "moov_money",
        "Moov Money",
        {
            "BF": ("Moov Africa",),
            "BJ": ("Moov",),
            "CI": ("Moov",),
            "GA": ("Moov",),
            # Sotelma is Malitel, which trades as Moov Africa Malitel.
            "ML": ("Sotelma",),
            "NE": ("Moov",),
            "TD": ("Moov",),
            # Branded Flooz in Togo.
            "TG": ("Moov",),
        },
    ),
    ("tigo_pesa", "Mixx by Yas (Tigo Pesa)", {"TZ": ("Yas",)}),
    # Halotel is Viettel's Tanzanian network.
    ("halopesa", "HaloPesa (Halotel)", {"TZ": ("Viettel",)}),
    ("ttcl_pesa", "T-Pesa (TTCL)", {"TZ": ("Tanzania Telecom",)}),
    ("tkash", "T-Kash (Telkom)", {"KE": ("Telkom",)}),
    ("telecel_cash", "Telecel Cash (formerly Vodafone Cash)", {"GH": ("Telecel",)}),
    # phonenumbers names AirtelTigo "at", its current brand.
    ("at_money", "AT Money (AirtelTigo)", {"GH": ("at",)}),
    ("zamtel_kwacha", "Zamtel Kwacha", {"ZM": ("ZAMTEL",)}),
    ("tnm_mpamba", "TNM Mpamba", {"MW": ("TNM",)}),
    ("emola", "e-Mola (Movitel)", {"MZ": ("Movitel",)}),
    # Tmcel is the merger of mcel and TDM; phonenumbers still says "mcel".
    ("mkesh", "mKesh (Tmcel)", {"MZ": ("mcel",)}),
    ("ecocash", "EcoCash", {"LS": ("Econet Ezi-Cel Lesotho",), "ZW": ("Econet",)}),
    ("onemoney", "OneMoney (NetOne)", {"ZW": ("Net*One",)}),
    ("telebirr", "telebirr (Ethio Telecom)", {"ET": ("Ethio Telecom",)}),
    ("lumicash", "Lumicash (Lumitel)", {"BI": ("Lumitel",)}),
    (
        "afrimoney",
        "Afrimoney (Africell)",
        {"CD": ("Africell",), "GM": ("Africell",), "SL": ("Africell",)},
    ),
    ("qmoney", "QMoney (QCell)", {"GM": ("QCell",)}),
    # Free Senegal became Yas in 2024 and Free Money became Mixx by Yas.
    ("free_money", "Mixx by Yas (Free Money)", {"SN": ("Yas",)}),
    # Togocel (phonenumbers: Togo Telecom) became Yas and T-Money became Mixx by Yas.
    ("tmoney", "Mixx by Yas (T-Money)", {"TG": ("Togo Telecom",)}),
    # Telma became Yas Madagascar; the wallet kept its name.
    ("mvola", "MVola (Yas)", {"MG": ("Yas",)}),
    ("evc_plus", "EVC Plus (Hormuud)", {"SO": ("Hormuud",)}),
    ("zaad", "Zaad (Telesom)", {"SO": ("Telesom",)}),
    ("edahab", "eDahab (Somtel)", {"SO": ("Somtel",)}),
    ("sahal", "Sahal (Golis)", {"SO": ("Golis Telecom",)}),
    ("myzaka", "MyZaka (Mascom)", {"BW": ("Mascom",)}),
    ("smega", "Smega (BTC)", {"BW": ("BTC Mobile",)}),
    (
        "wave",
        "Wave",
        {
            "BF": ANY_NETWORK,
            "CI": ANY_NETWORK,
            "GM": ANY_NETWORK,
            "ML": ANY_NETWORK,
            "SN": ANY_NETWORK,
        },
    ),
)


@dataclass(frozen=True, slots=True)
class Provider:
    """A mobile-money service: its slug, display name and countries (ISO alpha-2)."""

    slug: str
    name: str
    countries: frozenset[str]


PROVIDERS: Final[Mapping[str, Provider]] = MappingProxyType(
    {slug: Provider(slug, name, frozenset(networks)) for slug, name, networks in _TABLE}
)


def _index() -> tuple[
    dict[str, tuple[str, ...]], dict[tuple[str, str], frozenset[str]], dict[str, frozenset[str]]
]:
    # Built once at import so that each request costs a few dict look-ups.
    by_country: dict[str, list[str]] = {}
    by_network: dict[tuple[str, str], set[str]] = {}
    any_network: dict[str, set[str]] = {}
    for slug, _name, networks in _TABLE:
        for country, carriers in networks.items():
            by_country.setdefault(country, []).append(slug)
            if carriers == ANY_NETWORK:
                any_network.setdefault(country, set()).add(slug)
                continue
            for carrier_name in carriers:
                by_network.setdefault((country, carrier_name), set()).add(slug)
    return (
        {country: tuple(sorted(slugs)) for country, slugs in by_country.items()},
        {key: frozenset(slugs) for key, slugs in by_network.items()},
        {country: frozenset(slugs) for country, slugs in any_network.items()},
    )


_BY_COUNTRY, _BY_NETWORK, _ANY_NETWORK_IN = _index()
_NONE: Final[frozenset[str]] = frozenset()

_ACCEPTED_TYPES: Final = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
# No real number comes close; the cap keeps pasted junk away from the parser.
_MAX_INPUT_LENGTH: Final = 40
_INTERNATIONAL: Final = re.compile(r"\(?(?:\+|00)[0-9 ().\-]+", re.ASCII)
_FORMATTING: Final = re.compile(r"[ ().\-]")
_INTERNATIONAL_HINT: Final = (
    "must be in international format: + or 00, the country code, then the number"
)


class MobileNumberError(ValueError):
    """A phone number that cannot hold mobile money; the message is fit for a user."""


def normalize_mobile_number(raw: str) -> tuple[str, str]:
    """Return ``(E.164 number, country alpha-2)`` for a valid mobile number in international
    format, or raise ``MobileNumberError``."""
    text = raw.strip()
    if len(text) > _MAX_INPUT_LENGTH:
        raise MobileNumberError("is too long to be a phone number")
    if _INTERNATIONAL.fullmatch(text) is None:
        raise MobileNumberError(_INTERNATIONAL_HINT)
    compact = _FORMATTING.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    try:
        number = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException:
        raise MobileNumberError(_INTERNATIONAL_HINT) from None
    if not phonenumbers.is_valid_number(number):
        raise MobileNumberError("is not a valid phone number")
    country = phonenumbers.region_code_for_number(number)
    # "001" is phonenumbers' region for non-geographic numbers (satellite, global services).
    if country is None or len(country) != 2 or not country.isalpha():
        raise MobileNumberError("must be a mobile number of a country")
    number_type = phonenumbers.number_type(number)
    if number_type == PhoneNumberType.FIXED_LINE:
        raise MobileNumberError("is a landline; a mobile number is required")
    if number_type not in _ACCEPTED_TYPES:
        raise MobileNumberError("is not a mobile number")
    e164: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, country


def infer_provider(e164: str) -> str | None:
    """The provider of the number's network when exactly one can serve it, else ``None``.

    A best guess (see the module docstring): portability and multi-SIM users defeat it.
    """
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    country = phonenumbers.region_code_for_number(number)
    if country is None:
        return None
    network: str = carrier.name_for_number(number, "en")
    if not network:
        return None
    candidates = _BY_NETWORK.get((country, network), _NONE) | _ANY_NETWORK_IN.get(country, _NONE)
    if len(candidates) != 1:
        return None
    (slug,) = candidates
    return slug


def providers_for(country: str) -> list[str]:
    """The slugs accepted for numbers of ``country`` (alpha-2), sorted; empty when none."""
    return list(_BY_COUNTRY.get(country.upper(), ()))


def check_provider(slug: str, country: str) -> None:
    """Raise ``ValueError`` (message fit for a user) unless ``slug`` is a known provider that
    operates in ``country``."""
    country = country.upper()
    accepted = _BY_COUNTRY.get(country, ())
    listing = (
        f"accepted for {country}: {', '.join(accepted)}"
        if accepted
        else f"no mobile money provider is supported for {country}"
    )
    provider = PROVIDERS.get(slug)
    # The slug is not echoed: it is client text and may hold anything.
    if provider is None:
        raise ValueError(f"is not a known provider; {listing}")
    if country not in provider.countries:
        raise ValueError(f"{provider.name} does not operate in {country}; {listing}")
