"""The answer engine: normalisation, meaning, scoring, matching, replies and their rendering."""
