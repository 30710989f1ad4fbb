"""Treasury routes: revenue totals, the ledger, and revenue thresholds."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, field_validator
from pydantic.json_schema import SkipJsonSchema

from shared.db import get_database
from shared.keyset import Cursor
from shared.treasury import ledger, thresholds
from shared.treasury.movements import CURRENCY, MAX_AMOUNT_MINOR
from shared.treasury.schemas import LedgerPage, Summary, Threshold, ThresholdSaved
from shared.web.router import Ctx, Link, Router
from shared.web.shapes import Success

router = Router()
TAG = "treasury"


class ThresholdBody(BaseModel):
    """``amount`` in minor units of ``currency`` (100000 with "usd" is 1,000.00 USD)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    amount: StrictInt = Field(gt=0, le=MAX_AMOUNT_MINOR)
    currency: str = Field(
        min_length=3, max_length=3, pattern="^[A-Za-z]{3}$", description="ISO 4217 code, e.g. usd"
    )
    period_days: StrictInt = Field(30, ge=1, le=366, alias="periodDays")

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not CURRENCY.match(value.lower()):
            raise ValueError("must be a three-letter ISO 4217 code")
        return value.lower()


class Period(BaseModel):
    period_days: int = Field(30, ge=1, le=366, alias="periodDays")


class LedgerFilter(BaseModel):
    limit: int = Field(50, ge=1, le=100)
    cursor: Cursor = None
    kind: Literal["payment", "refund", "payout"] | SkipJsonSchema[None] = None
    currency: (
        Annotated[str, Field(pattern="^[A-Za-z]{3}$"), AfterValidator(str.lower)]
        | SkipJsonSchema[None]
    ) = Field(None, description="ISO 4217 code, e.g. usd")


@router.route(
    "GET",
    "/api/treasury/summary",
    summary="Revenue totals per currency over the last periodDays and all time",
    query=Period,
    response=Summary,
    tag=TAG,
)
def summary(ctx: Ctx) -> dict[str, Any]:
    days = ctx.query.period_days
    with get_database().transaction() as tx:
        return {"period_days": days, "totals": ledger.totals(tx, ctx.user_id, days)}


@router.route(
    "GET",
    "/api/treasury/ledger",
    summary="Ledger entries, newest first, paged by cursor",
    query=LedgerFilter,
    response=LedgerPage,
    tag=TAG,
)
def ledger_page(ctx: Ctx) -> dict[str, Any]:
    query: LedgerFilter = ctx.query
    with get_database().transaction() as tx:
        return ledger.page(
            tx,
            ctx.user_id,
            limit=query.limit,
            cursor=query.cursor,
            kind=query.kind,
            currency=query.currency,
        )


@router.route(
    "POST",
    "/api/treasury/thresholds",
    summary="Set a revenue threshold; crossing it emits revenue.threshold_reached",
    body=ThresholdBody,
    status=201,
    response=ThresholdSaved,
    errors=(409,),
    tag=TAG,
    links=(Link("delete_threshold", {"threshold_id": "$response.body#/threshold/id"}),),
)
def create_threshold(ctx: Ctx) -> dict[str, Any]:
    body: ThresholdBody = ctx.body
    with get_database().transaction() as tx:
        row = thresholds.create(tx, ctx.user_id, body.amount, body.currency, body.period_days)
    return {"success": True, "threshold": row}


@router.route(
    "GET",
    "/api/treasury/thresholds",
    summary="The user's revenue thresholds",
    response=list[Threshold],
    tag=TAG,
)
def list_thresholds(ctx: Ctx) -> list[dict[str, Any]]:
    with get_database().transaction() as tx:
        return thresholds.list_for(tx, ctx.user_id)


@router.route(
    "DELETE",
    "/api/treasury/thresholds/<threshold_id>",
    summary="Delete a revenue threshold",
    response=Success,
    tag=TAG,
)
def delete_threshold(ctx: Ctx) -> dict[str, Any]:
    with get_database().transaction() as tx:
        thresholds.delete(tx, ctx.user_id, ctx.params["threshold_id"])
    return {"success": True}
