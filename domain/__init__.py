"""SSPF's rules in plain Python, importable without Teams, Graph or a database.

Everything here is pure: "today" and "now" are passed in, refusals come back as data
(`domain.refusal.Refusal`) carrying an i18n key, and the bot layer turns keys into Swedish text
using `bot/i18n/sv/domain.json` (one file of the bot catalog).
"""
