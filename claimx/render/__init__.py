"""Ways to show an extraction to a person: a terminal table, an HTML page."""
