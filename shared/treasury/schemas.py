"""The answers of the treasury routes, as response models (``shared.web.shapes``).
Amounts are integers in minor units of their currency (cents for usd)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from shared.treasury.movements import Kind
from shared.web.shapes import ResponseModel


class Figures(ResponseModel):
    payments: int
    refunds: int = Field(description="as a positive amount")
    net: int = Field(description="payments less refunds")
    payouts: int


class CurrencyTotals(ResponseModel):
    currency: str
    period: Figures = Field(description="over the last period_days")
    all_time: Figures


class Summary(ResponseModel):
    period_days: int
    totals: list[CurrencyTotals]


class Entry(ResponseModel):
    id: UUID
    user_id: str
    kind: Kind
    amount_minor: int = Field(description="refunds are negative")
    currency: str
    stripe_event_id: str
    stripe_object_id: str | None
    stripe_customer_id: str | None
    stripe_payment_intent_id: str | None
    occurred_at: datetime
    created_at: datetime


class LedgerPage(ResponseModel):
    entries: list[Entry]
    next_cursor: str | None


class Threshold(ResponseModel):
    id: UUID
    user_id: str
    amount_minor: int
    currency: str
    period_days: int
    is_reached: bool
    last_crossed_at: datetime | None
    created_at: datetime


class ThresholdSaved(ResponseModel):
    success: bool
    threshold: Threshold
