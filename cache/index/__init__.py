"""The repository index: files, windows and symbols of the workspace folders in SQLite."""
