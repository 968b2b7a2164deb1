"""Implementations of the application's ports, named by their technology."""
