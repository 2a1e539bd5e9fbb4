"""Keys, key wrapping, signatures, the label binding, sealing, signed HTTP messages between
nodes and signed objects. Nothing else in gsomia touches raw primitives."""
