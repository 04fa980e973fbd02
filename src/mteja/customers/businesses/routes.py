"""Business routes, under their customer."""

from __future__ import annotations

from mteja.customers.businesses.schemas import (
    BusinessCreate,
    BusinessListParams,
    BusinessOut,
    BusinessUpdate,
    business_etag,
    render_business,
)
from mteja.customers.businesses.service import BusinessService
from mteja.customers.businesses.tables import BUSINESS_STATUSES
from mteja.customers.errors import CustomerNotFound, CustomerRedacted
from mteja.kit.http.routing import OwnedResource, owned_resource_router

router = owned_resource_router(
    OwnedResource(
        path="/api/v1/customers/{customer_id}/businesses",
        tag="businesses",
        singular="business",
        plural="businesses",
        parent_param="customer_id",
        id_param="business_id",
        statuses=BUSINESS_STATUSES,
        service=BusinessService,
        create_body=BusinessCreate,
        update_body=BusinessUpdate,
        list_params=BusinessListParams,
        out=BusinessOut,
        render=render_business,
        etag=business_etag,
        parent_not_found=CustomerNotFound,
        write_errors=(CustomerRedacted,),
        docs={
            "create": "Add a business (B2B) to a customer.",
            "get": "Retrieve one of a customer's businesses.",
            "update": "Update a business; `status: archived` archives it (there is no delete).",
            "list": "List a customer's businesses, newest first.",
        },
    )
)
