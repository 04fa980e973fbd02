"""Payment methods on the wire: one object per type, named after the type."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints, field_validator

from mteja.core.etags import version_etag
from mteja.core.listing import STATUS_DESCRIPTION, ListQuery, statuses_of, statuses_pattern
from mteja.core.schemas import InputModel, OutputModel, WholeNumber, optional
from mteja.core.validation import Country, CustomData, Text256, documented, storable_text
from mteja.customers.payment_methods.tables import (
    PAYMENT_METHOD_STATUSES,
    PAYMENT_METHOD_TYPES,
    payment_methods,
)
from mteja.kit.render import Row, row_renderer

PaymentMethodType = Literal["mobile_money", "card", "bank_account"]
CardBrand = Literal[
    "visa", "mastercard", "amex", "discover", "diners", "jcb", "unionpay", "maestro", "verve"
]
Last4 = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{2,32}$")]


class MobileMoneyIn(InputModel):
    phone: Annotated[
        str,
        StringConstraints(max_length=64),
        documented(pattern=r"^\s*(?:\+|00)[^\x00]{1,62}$"),
    ] = Field(examples=["+255 788 323 255"], description="A mobile number in international format.")
    provider: Slug | None = Field(
        default=None,
        examples=["mpesa"],
        description="See the provider table; inferred from the number's network when omitted.",
    )

    _storable = field_validator("phone")(storable_text)


class CardIn(InputModel):
    brand: CardBrand
    last4: Last4 = Field(examples=["4242"])
    exp_month: WholeNumber = Field(ge=1, le=12, examples=[8])
    exp_year: WholeNumber = Field(ge=2000, le=2100, examples=[2030])
    processor_token: Annotated[str, StringConstraints(min_length=1, max_length=256)] = Field(
        description="The payment processor's token for the card. Write-only.",
        examples=["tok_1Pq2r3"],
    )

    _storable = field_validator("processor_token")(storable_text)


class BankAccountIn(InputModel):
    bank_name: Text256 = Field(examples=["CRDB Bank"])
    account_holder_name: Text256 = Field(examples=["Duka la Asha Ltd"])
    last4: Last4 = Field(examples=["6789"])
    country: Country = Field(examples=["TZ"])


def _one_object_per_type(schema: dict[str, Any]) -> None:
    """The rule the service applies, in the document: the object named by ``type`` is
    required, the other two are absent or null."""
    properties = schema["properties"]
    schema["oneOf"] = [
        {
            "properties": {
                "type": {"const": kind},
                kind: properties[kind]["anyOf"][0],  # the object itself, not its null
                **{other: {"type": "null"} for other in PAYMENT_METHOD_TYPES if other != kind},
            },
            "required": ["type", kind],
        }
        for kind in PAYMENT_METHOD_TYPES
    ]


class PaymentMethodCreate(InputModel):
    model_config = ConfigDict(json_schema_extra=_one_object_per_type)

    type: PaymentMethodType
    mobile_money: MobileMoneyIn | None = None
    card: CardIn | None = None
    bank_account: BankAccountIn | None = None
    custom_data: CustomData | None = None
    set_default: bool = Field(
        default=False, description="Also make it the customer's `payment_method`."
    )


class PaymentMethodUpdate(InputModel):
    status: Literal["revoked"] = optional()
    custom_data: CustomData | None = optional()

    @field_validator("status", mode="before")
    @classmethod
    def _only_revoke(cls, value: Any) -> Any:
        if value != "revoked":
            raise ValueError("can only be set to revoked")
        return value


class MobileMoneyOut(OutputModel):
    provider: str
    phone: str | None = Field(description="Null once the customer is redacted.")
    country: str


class CardOut(OutputModel):
    brand: str
    last4: str
    exp_month: int
    exp_year: int


class BankAccountOut(OutputModel):
    bank_name: str
    account_holder_name: str | None = Field(description="Null once the customer is redacted.")
    last4: str
    country: str


class _PaymentMethodBase(OutputModel):
    id: str
    customer_id: str
    status: Literal["active", "revoked"]
    custom_data: dict[str, Any] | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class MobileMoneyMethodOut(_PaymentMethodBase):
    id: str = Field(examples=["momo_01h3vjs3b16yc3f9q8q9pfrb78"])
    type: Literal["mobile_money"]
    mobile_money: MobileMoneyOut


class CardMethodOut(_PaymentMethodBase):
    id: str = Field(examples=["card_01h3vjs3b16yc3f9q8q9pfrb78"])
    type: Literal["card"]
    card: CardOut


class BankAccountMethodOut(_PaymentMethodBase):
    id: str = Field(examples=["ba_01h3vjs3b16yc3f9q8q9pfrb78"])
    type: Literal["bank_account"]
    bank_account: BankAccountOut


PaymentMethodOut = Annotated[
    MobileMoneyMethodOut | CardMethodOut | BankAccountMethodOut, Field(discriminator="type")
]


def _details(row: Row) -> dict[str, Any]:
    """The type's own object, named after the type."""
    return {"type": row["type"], row["type"]: row["details"]}


_render_common = row_renderer(_PaymentMethodBase, payment_methods)


def render_payment_method(row: Row) -> dict[str, Any]:
    return {**_render_common(row), **_details(row)}


# Each type's model is the common fields, ``type`` and the type's object: nothing else.
for _kind, _model in (
    ("mobile_money", MobileMoneyMethodOut),
    ("card", CardMethodOut),
    ("bank_account", BankAccountMethodOut),
):
    assert set(_model.model_fields) == {*_PaymentMethodBase.model_fields, "type", _kind}


def card_expired(exp_year: int, exp_month: int, now: datetime) -> bool:
    """A card is valid through the last day of its expiry month."""
    return (exp_year, exp_month) < (now.year, now.month)


class PaymentMethodListParams(ListQuery):
    cursor_prefixes = tuple(PAYMENT_METHOD_TYPES.values())

    status: Annotated[
        str | None, statuses_of(PAYMENT_METHOD_STATUSES), statuses_pattern(PAYMENT_METHOD_STATUSES)
    ] = Field(default=None, max_length=64, description=STATUS_DESCRIPTION)


payment_method_etag = version_etag
