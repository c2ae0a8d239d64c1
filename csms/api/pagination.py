"""List pagination: pages of `page_size` (default 50, at most 500) by page number; a cursor for the big logs."""

from __future__ import annotations

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=2&page_size=100`; the answer is {count, next, previous, results}."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class CursorPagination(pagination.CursorPagination):
    """For append-only logs (connection log, meter values): stable pages while rows arrive, newest first.

    Views using it order by `ordering` and offer no `ordering` parameter.
    """

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    ordering = ("-at", "-id")
