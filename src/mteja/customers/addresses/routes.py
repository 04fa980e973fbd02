"""Address routes, under their customer."""

from __future__ import annotations

from mteja.customers.addresses.schemas import (
    AddressCreate,
    AddressListParams,
    AddressOut,
    AddressUpdate,
    address_etag,
    render_address,
)
from mteja.customers.addresses.service import AddressService
from mteja.customers.addresses.tables import ADDRESS_STATUSES
from mteja.customers.errors import CustomerNotFound, CustomerRedacted
from mteja.kit.http.routing import OwnedResource, owned_resource_router

router = owned_resource_router(
    OwnedResource(
        path="/api/v1/customers/{customer_id}/addresses",
        tag="addresses",
        singular="address",
        plural="addresses",
        parent_param="customer_id",
        id_param="address_id",
        statuses=ADDRESS_STATUSES,
        service=AddressService,
        create_body=AddressCreate,
        update_body=AddressUpdate,
        list_params=AddressListParams,
        out=AddressOut,
        render=render_address,
        etag=address_etag,
        parent_not_found=CustomerNotFound,
        write_errors=(CustomerRedacted,),
        docs={
            "create": "Add a billing address to a customer; `default: true` makes it the "
            "customer's address.",
            "get": "Retrieve one of a customer's addresses.",
            "update": "Update an address; `status: archived` archives it, `default` moves "
            "the default.",
            "list": "List a customer's addresses, newest first.",
        },
    )
)
