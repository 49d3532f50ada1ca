"""Importing another council system's history over OParl: fetching, repairing, mapping (I/O at the edge)."""
