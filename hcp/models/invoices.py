"""Invoices (read-only in the API). Amounts in integer cents."""

from __future__ import annotations

from datetime import UTC, datetime

from hcp.models._base import Cents, HcpModel, LenientUtcDateTime

INVOICE_STATUSES = ("open", "pending_payment", "paid", "voided", "uncollectible", "canceled")


class InvoiceItem(HcpModel):
    """A billed item; `qty_in_hundredths` is quantity x 100."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    type: str | None = None
    unit_cost: Cents | None = None
    unit_price: Cents | None = None
    qty_in_hundredths: int | None = None
    amount: Cents | None = None


class InvoicePayment(HcpModel):
    """A payment against an invoice."""

    id: str | None = None
    status: str | None = None
    payment_method: str | None = None
    amount: Cents | None = None
    paid_at: LenientUtcDateTime = None


class Invoice(HcpModel):
    """An invoice (``JobInvoice``; list/get add `job_id`). Live invoices carry no customer."""

    id: str
    job_id: str | None = None
    status: str | None = None
    invoice_number: str | None = None
    amount: Cents | None = None
    subtotal: Cents | None = None
    due_amount: Cents | None = None
    due_at: LenientUtcDateTime = None
    paid_at: LenientUtcDateTime = None
    sent_at: LenientUtcDateTime = None
    service_date: LenientUtcDateTime = None
    invoice_date: LenientUtcDateTime = None
    items: list[InvoiceItem] = []
    payments: list[InvoicePayment] = []

    def is_overdue(self, now: datetime | None = None) -> bool:
        """True when the invoice is open and past `due_at` (HCP has no "overdue" status)."""
        if self.status != "open" or self.due_at is None:
            return False
        return self.due_at < (now or datetime.now(UTC))


JobInvoice = Invoice
