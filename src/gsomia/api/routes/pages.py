"""Lists as pages: `limit` and `offset` in, the page with the total out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")
MAX_LIMIT = 500

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many.")]
Offset = Annotated[int, Query(ge=0, le=2**31, description="Skip this many first.")]


class Page(BaseModel, Generic[T]):
    """One page of a list, with the list's total."""

    items: list[T]
    total: int
    limit: int
    offset: int


def page(found: Sequence[T], limit: int, offset: int) -> Page[T]:
    return Page[T](
        items=list(found[offset : offset + limit]), total=len(found), limit=limit, offset=offset
    )
