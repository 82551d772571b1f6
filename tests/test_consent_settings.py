"""The municipality's consent ages (SSPF_TARGET_AGE_MIN/MAX, SSPF_YOUTH_CONSENT_AGE, SSPF_ADULT_AGE) are what
the running bot decides with."""

from __future__ import annotations

from bot.config import Settings
from store.queries.consent import rules
from tests.harness.bot_runner import RunningBot, local_settings


def test_the_ages_come_from_the_environment():
    s = Settings.from_env(
        {"SSPF_YOUTH_CONSENT_AGE": "13", "SSPF_TARGET_AGE_MIN": "10", "SSPF_ADULT_AGE": "18"}
    )
    assert (s.youth_consent_age, s.target_age_min, s.target_age_max, s.adult_age) == (13, 10, 18, 18)


async def test_a_started_bot_decides_with_the_configured_ages(sqlite_url, connector, tmp_path):
    bot = RunningBot(local_settings(sqlite_url, ics_dir=str(tmp_path), youth_consent_age=13), connector)
    await bot.start()
    try:
        assert rules().youth_from_age == 13
    finally:
        await bot.stop()
    default = RunningBot(local_settings(sqlite_url, ics_dir=str(tmp_path)), connector)
    await default.start()
    try:
        assert rules().youth_from_age == 15
    finally:
        await default.stop()
