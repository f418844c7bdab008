"""The small core every part uses: the catalog, progress state, workspaces, the runner and its results."""
