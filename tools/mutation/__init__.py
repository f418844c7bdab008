"""The instructor's bug generator, one concern per module.

- :mod:`.model`: the mutant model (a mutant, its verdict, its description, triage)
- :mod:`.operators`: our ML-aware mutation operators, one module per bug family
- :mod:`.plausible`: which changes are mistakes an engineer would make, and their class;
  :mod:`.bugclasses`: each class's name, last hint and lesson
- :mod:`.mutmut_api`: the only module that touches mutmut and its internals
- :mod:`.sandbox`: the sandbox lifecycle; :mod:`.workers`: forked workers that run each mutant
  on the tests that reach it
- :mod:`.selection`: which caught mutants become variants, and in what order
- :mod:`.measure`: the kata's own run of a pipeline; :mod:`.texts`: a variant's brief, hints,
  explanation and difficulty, from what running it shows
- :mod:`.install`: variant.toml, staging and atomic installation; :mod:`.refresh`: variants
  re-applied after a kata changes
- :mod:`.strength`, :mod:`.equivalents`: test-strength reports; :mod:`.campaign`: one kata's
  campaign
- :mod:`.project`, :mod:`.rewrite`: an outside project staged as a kata (its tests load its
  modules through the kit's ``kata`` fixture); :mod:`.outside`: ``nox -s mutate -- --path DIR``
- :mod:`.cli`: ``nox -s mutate``
"""
