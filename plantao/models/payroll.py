"""Months of on-call hours that payroll has paid, frozen as they were paid."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, UTCDateTime, utcnow


class HoursClosure(Base):
    """A closed month of the hours report: its figures as paid, never recomputed.

    Later changes to the roster, leave or holidays of a paid month must not
    change what the report says was paid, so the whole report is stored.
    """

    __tablename__ = "hours_closures"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``YYYY-MM``.
    month: Mapped[str] = mapped_column(String(7), unique=True)
    #: The report of every team, as :class:`~plantao.services.payroll.PayrollService` built it.
    figures: Mapped[dict] = mapped_column(JSON)
    #: The credential that closed it, as the audit log names it.
    closed_by: Mapped[str] = mapped_column(String(400))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
