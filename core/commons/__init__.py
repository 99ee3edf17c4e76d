"""Wikimedia Commons: geotagged photos with free licences, harvested without a key."""
