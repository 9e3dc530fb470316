"""Authentication and authorisation (docs/security.md).

- tokens.py: API tokens (random, shown once, stored as a SHA-256 hash);
- scopes.py: which scope each path and method needs (a rule table);
- certs.py: client certificates: `store report` allowlists and scopes by CN
  (verified at the TLS edge);
- middleware.py: the HTTP middleware app.py registers for every route.
"""
