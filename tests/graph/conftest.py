from tests.harness.graph_fixtures import graph_backend, graph_server  # noqa: F401
