"""Support desk: a small customer-support assistant for a retail bank."""

__version__ = "0.1.0"
