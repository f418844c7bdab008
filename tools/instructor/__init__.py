"""The instructor's side: class packs in which every student gets a different bug, and their grades."""
