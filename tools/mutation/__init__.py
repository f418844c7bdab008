"""The instructor's bug generator, one concern per module.

- :mod:`.model`: the mutant model (a mutant, its verdict, its description, triage)
- :mod:`.operators`: our ML-aware mutation operators; :mod:`.bugclasses`: what each plants
- :mod:`.mutmut_api`: the only module that touches mutmut and its internals
- :mod:`.sandbox`: the sandbox lifecycle; :mod:`.workers`: forked workers that run the tests
- :mod:`.selection`: which caught mutants become variants, and in what order
- :mod:`.install`: variant.toml, the computed brief, staging and atomic installation
- :mod:`.strength`: test-strength reports; :mod:`.campaign`: one kata's campaign
- :mod:`.cli`: ``nox -s mutate``
"""
