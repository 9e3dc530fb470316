"""PuppetDB resource events (document 002, ../shared/notes/puppetdb.md)."""

# The PuppetDB release whose answers the service reproduces: the one tests/conformance
# compares it with (Debian's puppetdb package). /pdb/meta/v1/version answers it.
PUPPETDB_VERSION = "7.12.1"
