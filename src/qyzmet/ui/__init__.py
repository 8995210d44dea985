"""Presentation helpers shared by the server-rendered front ends (portal, back office)."""
