"""Icons, style sheets and the demo assets, read with importlib.resources."""
