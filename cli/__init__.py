"""The command line, ``mergesmith``: a front end over :mod:`mergesmith.core`, like the window."""
