"""The gremienlauf command line and demo: the composition root that wires workflow, api and workers."""
