"""Keys, key wrapping, signatures and sealing. Nothing else in gsomia touches raw primitives."""
