"""Keys, key wrapping, signatures, the label binding and sealing. Nothing else in gsomia touches
raw primitives."""
