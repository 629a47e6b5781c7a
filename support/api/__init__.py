"""The support app's part of the Atlas-shaped API."""
