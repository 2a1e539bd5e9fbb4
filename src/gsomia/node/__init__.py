"""The node's application services: the use cases that CLI, API and web UI share."""
