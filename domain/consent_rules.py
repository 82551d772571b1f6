"""Who consents, per municipality: the ages that decide it (configuration, ``bot.config.Settings``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConsentRules:
    """Per municipality (``bot.config.Settings``: SSPF_TARGET_AGE_MIN/MAX, SSPF_YOUTH_CONSENT_AGE,
    SSPF_ADULT_AGE). Defaults from the source pages: "barn och ungdomar mellan 12-18 år"; the young
    person signs too from 15; from 18 (FB 6 kap. 2 §: custody ends) only their own consent counts."""

    target_age_min: int = 12
    target_age_max: int = 18
    youth_from_age: int = 15
    adult_age: int = 18
