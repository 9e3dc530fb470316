"""Puppet events service: orchestrator, PuppetDB and activity-service events."""
