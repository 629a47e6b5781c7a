"""The monitoring app's part of the Atlas-shaped API."""
