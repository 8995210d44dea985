"""Consent (GovStack Consent building block, reduced to what registries need): a registry may
require the person's consent before it releases a category of data to a service."""
