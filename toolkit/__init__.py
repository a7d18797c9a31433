"""podkit: turn recorded interviews into a published podcast and a written archive."""

__version__ = "0.1.0"
