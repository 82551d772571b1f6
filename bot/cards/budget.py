"""How large a card may be: one owner for the limit every card the bot sends is held to.

Teams refuses a bot message over about 100 KB (413 ``MessageSizeTooBig``; older documentation said 40 KB)
and renders long cards badly well before that; 28 KB per card is this product's budget. A card over it is
never sent: the person is told the truth ("too large to show") instead of Teams' refusal turning into
"something went wrong", and a 413 is never mistaken for a person who cannot be reached.
"""

from __future__ import annotations

from typing import Any

import orjson

CARD_LIMIT_BYTES = 28 * 1024


def card_bytes(card: Any) -> int:
    """Size of the card as JSON, UTF-8, as it travels to Teams (the activity wrapper not counted)."""
    return len(orjson.dumps(card))


def fits(card: Any) -> bool:
    return card_bytes(card) <= CARD_LIMIT_BYTES


def oversized_cards(activity: dict[str, Any]) -> list[int]:
    """Sizes of the adaptive cards in an activity payload that are over the budget."""
    sizes = []
    for attachment in activity.get("attachments") or []:
        if isinstance(attachment, dict) and attachment.get("contentType", "").endswith("card.adaptive"):
            size = card_bytes(attachment.get("content"))
            if size > CARD_LIMIT_BYTES:
                sizes.append(size)
    return sizes
