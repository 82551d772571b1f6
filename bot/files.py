"""Sending a file to a user the way Teams allows bots to: ask first (FileConsentCard), upload on yes.

Teams gives a bot no way to attach a document directly in a chat. The bot posts a consent card into
the user's 1:1 chat; when the user accepts, Teams sends an upload URL in the user's OneDrive, the bot
PUTs the bytes there and posts a file card that opens it. Nothing is uploaded without the user's
yes, and the document is produced again at upload time rather than kept anywhere in between.

The upload URL comes in the invoke, which is not proof of anything: the bot PUTs only to https URLs on
the tenant's SharePoint/OneDrive hosts (``Settings.upload_hosts``; loopback only in local mode, for the
tests' stand-in), parsed by the same URL parser the HTTP client uses, and follows no redirect.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

import aiohttp
from yarl import URL

if TYPE_CHECKING:
    from bot.config import Settings

CONSENT_CARD = "application/vnd.microsoft.teams.card.file.consent"
INFO_CARD = "application/vnd.microsoft.teams.card.file.info"


def consent_attachment(name: str, description: str, size: int, context: dict[str, Any]) -> dict[str, Any]:
    return {
        "contentType": CONSENT_CARD,
        "name": name,
        "content": {
            "description": description,
            "sizeInBytes": size,
            "acceptContext": context,
            "declineContext": context,
        },
    }


def info_attachment(upload_info: dict[str, Any]) -> dict[str, Any]:
    return {
        "contentType": INFO_CARD,
        "contentUrl": upload_info.get("contentUrl"),
        "name": upload_info.get("name"),
        "content": {"uniqueId": upload_info.get("uniqueId"), "fileType": upload_info.get("fileType")},
    }


def _host_matches(host: str, pattern: str) -> bool:
    """``*.sharepoint.com`` matches any subdomain (not the bare domain); anything else the exact host."""
    pattern = pattern.strip().lower().rstrip(".")
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def upload_url_allowed(upload_url: str, settings: Settings) -> bool:
    """Whether the bot may PUT a document to ``upload_url``: https on one of ``settings.upload_hosts``,
    no user info in the URL; plain http to loopback only in local mode (``upload_loopback``)."""
    try:
        url = URL(upload_url)
        host = (url.host or "").lower().rstrip(".")
    except (ValueError, TypeError):
        return False
    if not url.is_absolute() or not host or url.user is not None or url.password is not None:
        return False
    if settings.local_mode and settings.upload_loopback and url.scheme in ("http", "https"):
        if _is_loopback(host):
            return True
    if url.scheme != "https":
        return False
    return any(_host_matches(host, pattern) for pattern in settings.upload_hosts)


async def upload(http: aiohttp.ClientSession, upload_url: str, data: bytes) -> None:
    """One PUT of the whole file (Teams' upload sessions take up to 4 MB in a single range).
    Call only with a URL ``upload_url_allowed`` accepted; a redirect elsewhere is not followed."""
    headers = {"Content-Length": str(len(data)), "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"}
    async with http.put(URL(upload_url), data=data, headers=headers, allow_redirects=False) as resp:
        if resp.status >= 300:
            raise RuntimeError(f"file upload answered {resp.status}")
