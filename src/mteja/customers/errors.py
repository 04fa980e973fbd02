"""Customer errors, shared by the customer service and the services of its sub-resources."""

from __future__ import annotations

from mteja.core.errors import Conflict, NotFound
from mteja.core.ids import is_valid_id


class CustomerNotFound(NotFound):
    def __init__(self, customer_id: str) -> None:
        # Only a well-formed id is repeated: a path segment can hold anything, even a PAN.
        known = is_valid_id(customer_id, "cus")
        super().__init__(f"No such customer: '{customer_id}'." if known else "No such customer.")


class CustomerAlreadyExists(Conflict):
    code = "customer_already_exists"

    def __init__(self, existing_id: str | None, *, field: str = "email") -> None:
        what = "email" if field == "email" else "external_id"
        message = (
            f"A customer with this {what} already exists: {existing_id}."
            if existing_id
            else f"A customer with this {what} already exists."
        )
        super().__init__(message, param=field)


class CustomerRedacted(Conflict):
    code = "customer_redacted"
    default_message = (
        "This customer's personal data was erased (redacted): it can be read, exported and "
        "deleted, not changed."
    )
