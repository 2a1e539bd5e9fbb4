"""gsomia: a national registry that runs General Security of Military Information Agreements."""

__version__ = "0.1.0"
