"""PuppetDB resource events (document 002, ../shared/notes/puppetdb.md)."""
