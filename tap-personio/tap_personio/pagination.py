"""Paginators for Personio: v1 record offsets stopped by `metadata`, v2 cursors from `_meta.links`.

Both stop from what the response says, so the last page is never followed by an empty request.
"""

# mypy: enable-error-code="explicit-override"

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from singer_sdk.pagination import BaseHATEOASPaginator, OffsetPaginator

from tap_personio.compat import override

BodyReader = Callable[[requests.Response], Any]


def page_metadata(body: Any) -> Mapping[str, Any]:
    """Return a v1 list response's `metadata` object, or an empty mapping."""
    if isinstance(body, Mapping):
        metadata = body.get("metadata")
        if isinstance(metadata, Mapping):
            return metadata
    return {}


class EmployeesPaginator(OffsetPaginator):
    """`offset += limit` while `metadata.current_page < total_pages - 1`.

    Falls back to "a full page means there may be more" if Personio omits the metadata.
    """

    def __init__(self, page_size: int, body: BodyReader) -> None:
        super().__init__(start_value=0, page_size=page_size)
        self._body = body

    @override
    def has_more(self, response: requests.Response) -> bool:
        """Decide from the page metadata whether another page exists."""
        body = self._body(response)
        metadata = page_metadata(body)
        current, total = metadata.get("current_page"), metadata.get("total_pages")
        if isinstance(current, int) and isinstance(total, int):
            return current < total - 1
        rows = body.get("data") if isinstance(body, Mapping) else None
        return isinstance(rows, list) and len(rows) >= self.page_size


class OrgUnitsPaginator(BaseHATEOASPaginator):
    """Follows `_meta.links.next.href`, pinned to the configured host (relative links resolved)."""

    def __init__(self, base_url: str, body: BodyReader) -> None:
        super().__init__()
        self._base_url = base_url
        self._body = body

    @override
    def get_next_url(self, response: requests.Response) -> str | None:
        """Return the absolute URL of the next page, or None on the last page."""
        body = self._body(response)
        meta = body.get("_meta") if isinstance(body, Mapping) else None
        links = meta.get("links") if isinstance(meta, Mapping) else None
        nxt = links.get("next") if isinstance(links, Mapping) else None
        href = nxt.get("href") if isinstance(nxt, Mapping) else None
        if not isinstance(href, str) or not href:
            return None
        absolute = urljoin(response.url, href)
        base = urlsplit(self._base_url)
        link = urlsplit(absolute)
        # Never send the token to another host: keep the path and query, use our scheme and host.
        return link._replace(scheme=base.scheme, netloc=base.netloc).geturl()
