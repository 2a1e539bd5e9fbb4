"""The node over HTTP: the node-to-node API (and, with the officers' issue, their API and web UI)."""
