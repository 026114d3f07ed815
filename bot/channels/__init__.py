"""Channel adapters, one folder each. ``base`` holds the port they all implement."""
