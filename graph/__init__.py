"""Everything that talks to Microsoft Graph, plus the local calendar that stands in for it.

Import the backend-neutral types from ``graph.calendar`` and get a backend from
``graph.factory.calendar_backend``; nothing outside this package should import msgraph.
"""
