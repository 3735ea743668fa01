"""Asset definitions, one module per source system or layer."""
