"""The node's use cases, one module per family; each runs in one transaction of the node."""
