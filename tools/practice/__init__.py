"""The learner's side: a kata run, watch mode, hints and feedback, interviews, progress listings."""
