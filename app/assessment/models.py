"""What the views take from the last ``claimdesk reliability recompute`` besides each source's
reliability (stored on the source): the learned domain size of each topic and the source pairs
found copying. Written by :func:`app.reliability.service.recompute` (replaced as a whole, in
its transaction: a write here bumps the views' epoch like any view input); read per incident
by :func:`app.assessment.corpus.learned_model`. No rows: the engine's defaults."""

from __future__ import annotations

from sqlalchemy import Column, Float, String
from sqlmodel import Field, SQLModel


class LearnedDomain(SQLModel, table=True):
    """A topic's learned domain size: how many false values a source could pick."""

    __tablename__ = "learned_domain"

    topic: str = Field(sa_column=Column(String(100), primary_key=True))
    size: float = Field(sa_column=Column(Float, nullable=False))


class LearnedCopy(SQLModel, table=True):
    """A source found copying another: on a candidate both support, the copier's vote counts
    ``1 - discount`` (``discount`` = copy rate * ``dependence``)."""

    __tablename__ = "learned_copy"

    copier_id: str = Field(sa_column=Column(String(26), primary_key=True))
    original_id: str = Field(sa_column=Column(String(26), primary_key=True))
    dependence: float = Field(sa_column=Column(Float, nullable=False))
    discount: float = Field(sa_column=Column(Float, nullable=False))
