"""Provider table, mobile-number normalisation and inference, on real number ranges.

The ranges below are real allocations as phonenumbers knows them; a test failing after a
phonenumbers upgrade usually means a carrier was renamed and ``_TABLE`` needs the new name.
"""

from __future__ import annotations

import re

import pycountry
import pytest

from mteja.customers.payment_methods.providers import (
    _TABLE,
    ANY_NETWORK,
    PROVIDERS,
    MobileNumberError,
    check_provider,
    infer_provider,
    normalize_mobile_number,
    providers_for,
)

# (number as a person would write it, E.164, country, inferred provider)
INFERRED = [
    ("+255 754 123 456", "+255754123456", "TZ", "mpesa"),
    ("+255 784 123 456", "+255784123456", "TZ", "airtel_money"),
    ("+255 688 123 456", "+255688123456", "TZ", "airtel_money"),
    ("+255 713 123 456", "+255713123456", "TZ", "tigo_pesa"),
    ("+255 655 123 456", "+255655123456", "TZ", "tigo_pesa"),
    ("+255 621 123 456", "+255621123456", "TZ", "halopesa"),
    ("+255 735 123 456", "+255735123456", "TZ", "ttcl_pesa"),
    ("+254 712 123 456", "+254712123456", "KE", "mpesa"),
    ("+254 110 123 456", "+254110123456", "KE", "mpesa"),
    ("+254 733 123 456", "+254733123456", "KE", "airtel_money"),
    ("+254 771 123 456", "+254771123456", "KE", "tkash"),
    ("+256 772 123 456", "+256772123456", "UG", "mtn_momo"),
    ("+256 752 123 456", "+256752123456", "UG", "airtel_money"),
    ("+250 788 123 456", "+250788123456", "RW", "mtn_momo"),
    ("+250 722 123 456", "+250722123456", "RW", "airtel_money"),
    ("+233 24 123 4567", "+233241234567", "GH", "mtn_momo"),
    ("+233 20 123 4567", "+233201234567", "GH", "telecel_cash"),
    ("+233 27 123 4567", "+233271234567", "GH", "at_money"),
    ("+260 96 1234567", "+260961234567", "ZM", "mtn_momo"),
    ("+260 97 1234567", "+260971234567", "ZM", "airtel_money"),
    ("+260 95 1234567", "+260951234567", "ZM", "zamtel_kwacha"),
    ("+234 803 123 4567", "+2348031234567", "NG", "mtn_momo"),
    ("+234 802 123 4567", "+2348021234567", "NG", "airtel_money"),
    ("+243 81 123 4567", "+243811234567", "CD", "mpesa"),
    ("+243 99 123 4567", "+243991234567", "CD", "airtel_money"),
    ("+243 89 123 4567", "+243891234567", "CD", "orange_money"),
    ("+243 90 123 4567", "+243901234567", "CD", "afrimoney"),
    ("+265 99 123 4567", "+265991234567", "MW", "airtel_money"),
    ("+265 88 123 4567", "+265881234567", "MW", "tnm_mpamba"),
    ("+258 84 123 4567", "+258841234567", "MZ", "mpesa"),
    ("+258 86 123 4567", "+258861234567", "MZ", "emola"),
    ("+258 82 123 4567", "+258821234567", "MZ", "mkesh"),
    ("+237 6 77 12 34 56", "+237677123456", "CM", "mtn_momo"),
    ("+237 6 99 12 34 56", "+237699123456", "CM", "orange_money"),
    ("+224 622 12 34 56", "+224622123456", "GN", "orange_money"),
    ("+263 77 123 4567", "+263771234567", "ZW", "ecocash"),
    ("+263 71 123 4567", "+263711234567", "ZW", "onemoney"),
    ("+251 91 123 4567", "+251911234567", "ET", "telebirr"),
    ("+251 70 123 4567", "+251701234567", "ET", "mpesa"),
    ("+266 5012 3456", "+26650123456", "LS", "mpesa"),
    ("+266 6212 3456", "+26662123456", "LS", "ecocash"),
    ("+257 61 23 45 67", "+25761234567", "BI", "lumicash"),
    ("+229 01 96 12 34 56", "+2290196123456", "BJ", "mtn_momo"),
    ("+229 01 95 12 34 56", "+2290195123456", "BJ", "moov_money"),
    ("+242 06 123 4567", "+242061234567", "CG", "mtn_momo"),
    ("+242 05 123 4567", "+242051234567", "CG", "airtel_money"),
    ("+228 90 12 34 56", "+22890123456", "TG", "tmoney"),
    ("+228 96 12 34 56", "+22896123456", "TG", "moov_money"),
    ("+227 96 12 34 56", "+22796123456", "NE", "airtel_money"),
    ("+227 94 12 34 56", "+22794123456", "NE", "moov_money"),
    ("+211 92 123 4567", "+211921234567", "SS", "mtn_momo"),
    ("+252 61 5123456", "+252615123456", "SO", "evc_plus"),
    ("+252 63 4123456", "+252634123456", "SO", "zaad"),
    ("+252 62 1234567", "+252621234567", "SO", "edahab"),
    ("+252 90 7123456", "+252907123456", "SO", "sahal"),
    ("+232 76 123456", "+23276123456", "SL", "orange_money"),
    ("+232 30 123456", "+23230123456", "SL", "afrimoney"),
    ("+231 77 012 3456", "+231770123456", "LR", "orange_money"),
    ("+231 88 012 3456", "+231880123456", "LR", "mtn_momo"),
    ("+241 07 12 34 56", "+24107123456", "GA", "airtel_money"),
    ("+235 66 12 34 56", "+23566123456", "TD", "airtel_money"),
    ("+235 99 12 34 56", "+23599123456", "TD", "moov_money"),
    ("+236 72 12 34 56", "+23672123456", "CF", "orange_money"),
    ("+261 32 12 345 67", "+261321234567", "MG", "orange_money"),
    ("+261 34 12 345 67", "+261341234567", "MG", "mvola"),
    ("+261 33 12 345 67", "+261331234567", "MG", "airtel_money"),
    ("+267 71 123 456", "+26771123456", "BW", "myzaka"),
    ("+267 72 123 456", "+26772123456", "BW", "orange_money"),
    ("+267 73 123 456", "+26773123456", "BW", "smega"),
    ("+268 7612 3456", "+26876123456", "SZ", "mtn_momo"),
]

# Wave takes subscribers of every network, so in its countries the network settles nothing:
# (number, country, the provider tied to its network, which must still be accepted).
WAVE_COUNTRIES = [
    ("+225 07 12 34 56 78", "CI", "orange_money"),
    ("+225 05 12 34 56 78", "CI", "mtn_momo"),
    ("+225 01 12 34 56 78", "CI", "moov_money"),
    ("+221 77 123 45 67", "SN", "orange_money"),
    ("+221 76 123 45 67", "SN", "free_money"),
    ("+223 76 12 34 56", "ML", "orange_money"),
    ("+223 66 12 34 56", "ML", "moov_money"),
    ("+226 76 12 34 56", "BF", "orange_money"),
    ("+226 70 12 34 56", "BF", "moov_money"),
    ("+220 770 1234", "GM", "afrimoney"),
    ("+220 301 2345", "GM", "qmoney"),
]

# Real mobile numbers on networks with no wallet in the table (or, for Orange Niger, a
# carrier name phonenumbers has kept after the network was sold).
NO_KNOWN_WALLET = [
    "+254 747 123 456",  # KE, JTL (Faiba)
    "+256 712 123 456",  # UG, UTL
    "+233 28 123 4567",  # GH, Expresso
    "+234 805 123 4567",  # NG, Glo
    "+234 809 123 4567",  # NG, 9mobile
    "+224 664 12 34 56",  # GN, Areeba
    "+257 79 12 34 56",  # BI, Leo
    "+227 90 12 34 56",  # NE, "Orange" (Zamani Telecom since 2019)
    "+241 062 12 34 56",  # GA, Libertis
    "+447400123456",  # GB: no mobile money here at all
]

# One fixed-line number per country of the table.
LANDLINES = [
    ("+255 22 234 5678", "TZ"),
    ("+254 20 2012345", "KE"),
    ("+256 31 2345678", "UG"),
    ("+250 250 123 456", "RW"),
    ("+233 30 234 5678", "GH"),
    ("+260 211 234 567", "ZM"),
    ("+234 2033 12 3456", "NG"),
    ("+243 12 34567", "CD"),
    ("+265 1 234 567", "MW"),
    ("+258 21 123 456", "MZ"),
    ("+225 21 23 4 56789", "CI"),
    ("+221 30 101 23 45", "SN"),
    ("+237 2 22 12 34 56", "CM"),
    ("+223 20 21 23 45", "ML"),
    ("+226 20 49 12 34", "BF"),
    ("+224 30 24 12 34", "GN"),
    ("+263 20 2012345", "ZW"),
    ("+251 11 111 2345", "ET"),
    ("+266 2212 3456", "LS"),
    ("+257 22 20 12 34", "BI"),
    ("+229 01 20 21 12 34", "BJ"),
    ("+242 22 212 3456", "CG"),
    ("+228 22 21 23 45", "TG"),
    ("+227 20 20 12 34", "NE"),
    ("+211 181 234 567", "SS"),
    ("+252 4 012345", "SO"),
    ("+232 22 221234", "SL"),
    ("+231 21 234 567", "LR"),
    ("+220 566 1234", "GM"),
    ("+241 01 44 12 34", "GA"),
    ("+235 22 50 12 34", "TD"),
    ("+236 21 61 23 45", "CF"),
    ("+261 20 21 234 56", "MG"),
    ("+267 240 1234", "BW"),
    ("+268 2217 1234", "SZ"),
]


@pytest.mark.parametrize(("raw", "e164", "country", "provider"), INFERRED)
def test_provider_is_inferred_from_the_network(
    raw: str, e164: str, country: str, provider: str
) -> None:
    assert normalize_mobile_number(raw) == (e164, country)
    assert infer_provider(e164) == provider
    check_provider(provider, country)


@pytest.mark.parametrize(("raw", "country", "provider"), WAVE_COUNTRIES)
def test_network_independent_wallet_makes_inference_ambiguous(
    raw: str, country: str, provider: str
) -> None:
    e164, found = normalize_mobile_number(raw)
    assert found == country
    assert infer_provider(e164) is None
    check_provider(provider, country)
    check_provider("wave", country)


@pytest.mark.parametrize("raw", NO_KNOWN_WALLET)
def test_network_without_a_known_wallet_infers_nothing(raw: str) -> None:
    e164, _country = normalize_mobile_number(raw)
    assert infer_provider(e164) is None


def test_unparseable_input_to_inference_infers_nothing() -> None:
    assert infer_provider("not a number") is None
    assert infer_provider("+80012345678") is None


def test_every_country_of_the_table_has_an_inference_or_ambiguity_test() -> None:
    tested = {country for _, _, country, _ in INFERRED} | {c for _, c, _ in WAVE_COUNTRIES}
    assert tested == {country for provider in PROVIDERS.values() for country in provider.countries}


def test_every_provider_is_inferred_somewhere_or_is_network_independent() -> None:
    inferred = {provider for *_, provider in INFERRED}
    independent = {slug for slug, _, networks in _TABLE if ANY_NETWORK in networks.values()}
    ambiguous_only = {provider for _, _, provider in WAVE_COUNTRIES}
    assert inferred | independent | ambiguous_only == set(PROVIDERS)


@pytest.mark.parametrize(("raw", "country"), LANDLINES)
def test_landline_is_refused(raw: str, country: str) -> None:
    with pytest.raises(MobileNumberError, match="landline"):
        normalize_mobile_number(raw)


def test_every_country_of_the_table_has_a_landline_test() -> None:
    tested = {country for _, country in LANDLINES}
    assert tested == {country for provider in PROVIDERS.values() for country in provider.countries}


@pytest.mark.parametrize(
    "raw",
    [
        "+255754123456",
        "00255754123456",
        "  +255 754 123 456  ",
        "+255-754-123-456",
        "+255 (0)754 123 456",
        "(+255) 754.123.456",
        "00 255 754 123 456",
    ],
)
def test_formatting_is_accepted(raw: str) -> None:
    assert normalize_mobile_number(raw) == ("+255754123456", "TZ")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("0754 123 456", "international format"),
        ("754123456", "international format"),
        ("", "international format"),
        ("+", "international format"),
        ("+255 754 123 456 ext 12", "international format"),
        ("+255 7 MPESA", "international format"),
        ("+２５５７５４１２３４５６", "international format"),
        ("+255 754 123 456 789 012 345 678 901 234 567", "too long"),
        ("+255 754 12", "not a valid"),
        ("+255 999 123 456", "not a valid"),
        ("+800 1234 5678", "of a country"),
        ("+255 800 123 456", "not a mobile"),
    ],
)
def test_bad_numbers_are_refused_with_a_message(raw: str, message: str) -> None:
    with pytest.raises(MobileNumberError, match=message):
        normalize_mobile_number(raw)


def test_mobile_number_error_is_a_value_error() -> None:
    assert issubclass(MobileNumberError, ValueError)


def test_fixed_line_or_mobile_is_accepted() -> None:
    # Benin's Celtiis 01 28 range cannot be told apart from landlines by phonenumbers.
    assert normalize_mobile_number("+229 01 28 23 45 67") == ("+2290128234567", "BJ")


def test_providers_for_lists_the_country_sorted() -> None:
    assert providers_for("TZ") == ["airtel_money", "halopesa", "mpesa", "tigo_pesa", "ttcl_pesa"]
    assert providers_for("ke") == ["airtel_money", "mpesa", "tkash"]
    assert providers_for("SN") == ["free_money", "orange_money", "wave"]
    assert providers_for("FR") == []


def test_check_provider_accepts_a_provider_of_the_country() -> None:
    check_provider("mpesa", "TZ")
    check_provider("mpesa", "ke")


def test_check_provider_refuses_an_unknown_slug_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="not a known provider") as caught:
        check_provider("<script>", "TZ")
    message = str(caught.value)
    assert "<script>" not in message
    assert message.endswith("accepted for TZ: airtel_money, halopesa, mpesa, tigo_pesa, ttcl_pesa")


def test_check_provider_refuses_a_provider_absent_from_the_country() -> None:
    with pytest.raises(ValueError) as caught:
        check_provider("tigo_pesa", "KE")
    assert str(caught.value) == (
        "Mixx by Yas (Tigo Pesa) does not operate in KE; "
        "accepted for KE: airtel_money, mpesa, tkash"
    )


def test_check_provider_in_a_country_without_providers() -> None:
    with pytest.raises(ValueError, match="no mobile money provider is supported for FR"):
        check_provider("mpesa", "FR")


def test_table_is_well_formed() -> None:
    countries = {country.alpha_2 for country in pycountry.countries}
    for slug, provider in PROVIDERS.items():
        assert provider.slug == slug
        assert re.fullmatch(r"[a-z][a-z0-9_]*", slug)
        assert provider.name
        assert provider.countries
        assert provider.countries <= countries
    assert len({slug for slug, _, _ in _TABLE}) == len(_TABLE)
