"""Sending a file to a user the way Teams allows bots to: ask first (FileConsentCard), upload on yes.

Teams gives a bot no way to attach a document directly in a chat. The bot posts a consent card into
the user's 1:1 chat; when the user accepts, Teams sends an upload URL in the user's OneDrive, the bot
PUTs the bytes there and posts a file card that opens it. Nothing is uploaded without the user's
yes, and the document is produced again at upload time rather than kept anywhere in between.
"""

from __future__ import annotations

from typing import Any

import aiohttp

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


async def upload(http: aiohttp.ClientSession, upload_url: str, data: bytes) -> None:
    """One PUT of the whole file (Teams' upload sessions take up to 4 MB in a single range)."""
    headers = {"Content-Length": str(len(data)), "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"}
    async with http.put(upload_url, data=data, headers=headers) as resp:
        if resp.status >= 300:
            raise RuntimeError(f"file upload answered {resp.status}")
