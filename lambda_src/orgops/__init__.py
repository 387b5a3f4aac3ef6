"""orgops: run operation scripts across every account and region of an AWS Organization."""

__version__ = "0.1.0"
