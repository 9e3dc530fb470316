"""Deployment: the CloudFormation that `chalice package --merge-template` merges in."""
