"""Unit tests of the pure scheduling engine and the built-in policies and rules."""
