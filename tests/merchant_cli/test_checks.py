"""The import's local check holds every row to the server's own rules: for any document,
the CLI's ``CustomerRow`` and the server's ``CustomerCreate`` accept the same, making the
same body, and refuse the same, for the same reasons."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from mteja.cli.merchant.checks import CustomerRow
from mteja.core.errors import field_error
from mteja.customers.schemas import CustomerCreate

texts = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", "   ", "Asha Mwinyi", "x" * 257, "a\x00b", "Ａｓｈａ"]),
)
maybe_text = st.one_of(st.none(), texts, st.integers())
emails = st.one_of(
    st.emails(),
    st.sampled_from(["asha@example.co.tz", "ASHA@Example.COM", "not-an-email", "a@b", ""]),
    st.integers(),
)
phones = st.sampled_from(
    [None, "+255788323255", "+255 788 323 255", "0788 323 255", "0788323255", "123", "+1", 7]
)
countries = st.sampled_from(["TZ", "tz", "KE", "XX", "", "TZA", None, 1])
addresses = st.one_of(
    st.none(),
    st.integers(),
    st.fixed_dictionaries(
        {},
        optional={
            "line1": maybe_text,
            "city": maybe_text,
            "postal_code": maybe_text,
            "country": countries,
            "planet": st.just("Earth"),
        },
    ),
)
custom_data = st.one_of(
    st.none(),
    st.lists(st.integers()),
    st.dictionaries(
        st.text(max_size=45), st.one_of(st.integers(), st.text(max_size=20)), max_size=55
    ),
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "name": maybe_text,
        "email": emails,
        "phone": phones,
        "address": addresses,
        "status": st.sampled_from(["active", "inactive", "suspended", "deleted", None]),
        "custom_data": custom_data,
        "payment_method": st.just("momo_01h3vjs3b16yc3f9q8q9pfrb78"),
        "nickname": st.just("unknown field"),
    },
)


def verdict(model: type[BaseModel], document: dict[str, Any]) -> tuple[str, Any]:
    """The body a model makes of a document, or the problems as the user reads them."""
    try:
        return "accepted", model.model_validate(document).model_dump()
    except ValidationError as error:
        return "refused", [field_error(dict(detail)) for detail in error.errors()]


@settings(max_examples=400, deadline=None)
@given(documents)
def test_the_local_check_agrees_with_the_server_on_every_document(document: dict[str, Any]) -> None:
    assert verdict(CustomerRow, document) == verdict(CustomerCreate, document)


def test_both_models_take_the_same_fields() -> None:
    assert list(CustomerRow.model_fields) == list(CustomerCreate.model_fields)
