"""The curators' web dashboard: a Datasette on a safe snapshot of the question log."""
