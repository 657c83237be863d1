"""Storage, apart from the engine: the question log in SQLite and the files around it."""
