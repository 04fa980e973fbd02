"""mteja: the customer service of a billing platform."""

__version__ = "0.1.0"
