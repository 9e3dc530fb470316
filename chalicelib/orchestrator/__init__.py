"""Orchestrator jobs and job events (documents 000 and 001)."""
