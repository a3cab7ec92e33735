"""The transport-independent dialogue engine."""
