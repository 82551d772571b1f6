"""Benchmarks that print figures; the figures and the commands that produced them are in BENCHMARKS.md."""
